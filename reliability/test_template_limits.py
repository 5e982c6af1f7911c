"""Rubric templates are code: every kind of template error, and every way to make a render huge or
endless, exits 2 naming the template -- no traceback, no request, no store (judgebench/sandbox.py).

The templates go through the real CLI (``judgebench run``) and ``judgebench rubric check``. The
first group must be stopped by a bound (size, calls, range, time), the second by the ordinary
error handling (each of these used to end in a traceback or an unbounded allocation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer
from reliability.helpers import cli, write_suite

BODY = "\n[Response A]\n{{ response_a }}\n\n[Response B]\n{{ response_b }}\n"

BOUNDED = {
    "str-times-huge": "{{ 'x' * 10**10 }}",
    "list-times-huge": "{{ [1] * 10**9 }}",
    "power": "{{ 10 ** 100000 }}",
    "power-in-format": "{{ '%d' % (10**5000) }}",
    "percent-width": "{{ '%999999999s' % 'x' }}",
    "format-width": "{{ '{:>999999999}'.format('x') }}",
    "center-filter": "{{ 'x'|center(999999999) }}",
    "center-method": "{{ 'x'.center(999999999) }}",
    "zfill-method": "{{ 'x'.zfill(999999999) }}",
    "nested-range": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "nested-string-loop": "{% set s = 'x' * 900000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "namespace-doubling": "{% set ns = namespace(s='xxxxxxxxxx') %}{% for i in range(60) %}"
                          "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "tilde-doubling": "{% set s = 'x' * 1000 %}" + "{% set s = s ~ s %}" * 40,
    "block-set-doubling": "{% set s = 'x' * 1000 %}" + "{% set s %}{{ s }}{{ s }}{% endset %}" * 40,
    "plus-doubling": "{% set s = 'x' * 900000 %}{{ s + s }}",
    "exploding-macro": "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "join-huge": "{{ range(100000)|join('x' * 100000) }}",
    "replace-method": "{{ ('x' * 100000).replace('x', 'y' * 100000) }}",
    "replace-filter": "{{ ('x' * 100000)|replace('x', 'y' * 100000) }}",
    "indent-huge": "{{ ('x\\n' * 400000)|indent(100) }}",
    "output-flood": "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
}

ERRORS = {
    "division-by-zero": ("{{ 1 / 0 }}", "ZeroDivisionError"),
    "unknown-filter": ("{{ response_a|nosuchfilter }}", "nosuchfilter"),
    "unknown-test": ("{% if response_a is nosuchtest %}x{% endif %}", "nosuchtest"),
    "recursion": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursed"),
    "int-of-text": ("{{ 'abc'|int + [] }}", "failed to render"),
    "list-mutation": ("{% set l = [] %}{{ l.append(1) }}", "sandbox"),
    "lipsum": ("{{ lipsum(1000000) }}", "lipsum"),
    "key-error": ("{{ {'a': 1}['b'] + 1 }}", "Rubric template"),
    "bad-call": ("{{ response_a(1) }}", "Rubric template"),
}


def _check(tmp_path: Path, body: str, *words: str) -> None:
    template = tmp_path / "evil.j2"
    template.write_text("{# protocol: pairwise #}\n" + body + BODY)
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=2, judge_extra={"rubric": template.name})
        res = cli("run", str(suite), cwd=tmp_path)
        requests = srv.counters.requests
    checked = cli("rubric", "check", str(template), cwd=tmp_path)
    for r in (res, checked):
        assert r.returncode == 2, r.stdout + r.stderr
        assert "Traceback" not in r.stderr and r.stderr.startswith("error: "), r.stderr
        assert "evil.j2" in r.stderr, r.stderr
        for w in words:
            assert w in r.stderr, r.stderr
    assert requests == 0 and not (tmp_path / ".judgebench").exists()


@pytest.mark.parametrize("name", sorted(BOUNDED))
def test_a_runaway_template_is_stopped_by_a_bound(tmp_path: Path, name: str) -> None:
    _check(tmp_path, BOUNDED[name], "limit")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_template_error_of_any_kind_exits_2(tmp_path: Path, name: str) -> None:
    body, word = ERRORS[name]
    _check(tmp_path, body, word)


def test_the_packaged_rubrics_render_within_the_bounds(tmp_path: Path) -> None:
    """The bounds are not blanket: every built-in rubric passes `rubric check` and a real run."""
    from judgebench.rubrics import BUILTIN_DIR

    for path in sorted(BUILTIN_DIR.glob("*.j2")):
        res = cli("rubric", "check", str(path), cwd=tmp_path)
        assert res.returncode == 0, f"{path.name}: {res.stderr}"
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=2, judge_extra={"rubric": "pairwise"})
        assert cli("run", str(suite), cwd=tmp_path).returncode == 0
