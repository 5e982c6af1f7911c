"""Rubric templates render in Jinja2's sandbox: escapes and file access are refused (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reliability.helpers import cli, write_suite

BODY = "\n[Response A]\n{{ response_a }}\n\n[Response B]\n{{ response_b }}\n"
ATTACKS = {
    "mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "lipsum-globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "variable-class": "{{ response_a.__class__.__base__.__subclasses__() }}",
    "attr-filter": "{{ response_a|attr('__class__') }}",
    "format-string": "{{ '{0.__class__.__init__.__globals__}'.format(response_a) }}",
    "method-globals": "{{ response_a.upper.__globals__ }}",
    "self": "{{ self.__init__.__globals__ }}",
    "include": "{% include '/etc/passwd' %}",
    "import": "{% import '/etc/passwd' as p %}",
    "extends": "{% extends '/etc/passwd' %}",
    "from-import": "{% from '/etc/passwd' import root %}",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_template_escape_is_refused(tmp_path: Path, name: str) -> None:
    template = tmp_path / f"evil_{name}.j2"
    template.write_text("{# protocol: pairwise #}\n" + ATTACKS[name] + BODY)
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", n_prompts=2, judge_extra={"rubric": template.name})
    res = cli("run", str(suite), cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert template.name in res.stderr, res.stderr
    assert "root:" not in res.stderr + res.stdout, "file content leaked"
    assert "uid=" not in res.stderr + res.stdout, "a command ran"
    assert not (tmp_path / ".judgebench").exists()


def test_a_harmless_template_is_accepted(tmp_path: Path) -> None:
    """The same suite with a harmless template passes the checks (so the refusals are not blanket)."""
    template = tmp_path / "fine.j2"
    template.write_text("{# protocol: pairwise #}\nWhich is better?" + BODY)
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", n_prompts=2, judge_extra={"rubric": template.name})
    res = cli("run", str(suite), cwd=tmp_path)
    assert res.returncode == 3, res.stderr  # gets as far as the (absent) endpoint
