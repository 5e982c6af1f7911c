"""`judgebench rubric render|check` and `validate-judge` through the real CLI (a subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgebench import pipeline
from judgebench.rubrics import BUILTIN_DIR
from judgebench.testing.openai_server import FakeOpenAIServer
from tests.conftest import cli, write_suite


def test_render_prints_exactly_the_stored_responses_in_the_requested_order(tmp_path: Path) -> None:
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url, extra="canaries: {}\n")
        prepared = pipeline.prepare(suite, {})
        # The default store beside the suite, which `rubric render` reads.
        pipeline.run(prepared, pipeline.RunOptions(store=pipeline.default_store(suite), leaderboards=tmp_path / "lb"),
                     ("generate",))
        requests = srv.counters.requests
    ab = cli("rubric", "render", str(suite), "--prompt", "p1", "--model", "large-model", cwd=tmp_path)
    ba = cli("rubric", "render", str(suite), "--prompt", "p1", "--model", "large-model", "--order", "BA", cwd=tmp_path)
    assert ab.returncode == 0 and ba.returncode == 0, ab.stderr + ba.stderr
    assert ab.stderr == ""
    assert ab.stdout.startswith("You are a careful, impartial judge.")
    assert "What is 2+2?" in ab.stdout
    a_part, b_part = ab.stdout.split("[Response B]")
    assert "large-model-xxl says:" in a_part and "ref says:" in b_part
    a_part, b_part = ba.stdout.split("[Response B]")
    assert "ref says:" in a_part and "large-model-xxl says:" in b_part
    verbose = cli("rubric", "render", str(suite), "--prompt", "p2", "--model", "canary-verbose", cwd=tmp_path)
    assert verbose.returncode == 0 and "Here is a thorough and detailed answer" in verbose.stdout
    multi = cli("rubric", "render", str(suite), "--prompt", "p3", "--json", cwd=tmp_path)
    request = json.loads(multi.stdout)
    assert request["response_format"]["properties"]["verdict"]["enum"] == ["A", "B", "tie"]
    content = request["messages"][-1]["content"]
    assert "Name a colour." in content and "Why that one?" in content
    assert srv.counters.requests == requests  # rendering requested nothing


def test_render_without_responses_uses_placeholders_and_needs_no_api_key(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", judge={"rubric": "absolute", "base_url": None})
    out = cli("rubric", "render", str(suite), "--prompt", "p2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "<response of small>" in out.stdout and "Excellent" in out.stdout
    assert "placeholder" in out.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prompt", "nope"], "No prompt 'nope'"),
        (["--prompt", "p1", "--model", "ref"], "is a reference"),
        (["--prompt", "p1", "--model", "ghost"], "is not a model of suite"),
    ],
)
def test_render_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1")
    out = cli("rubric", "render", str(suite), *args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr


def test_check_accepts_every_builtin_rubric(tmp_path: Path) -> None:
    for path in sorted(BUILTIN_DIR.glob("*.j2")):
        out = cli("rubric", "check", str(path), cwd=tmp_path)
        assert out.returncode == 0, (path, out.stderr)
        assert f"protocol '{path.stem}'" in out.stdout and "Verdict schema" in out.stdout


GOOD = (BUILTIN_DIR / "pairwise.j2").read_text()


@pytest.mark.parametrize(
    ("source", "protocol", "message"),
    [
        (GOOD.replace("{{ prompt }}", "{{ question }}"), None, "undefined variable(s): question"),
        (GOOD.replace("{% endif %}", ""), None, "syntax error at line"),
        (GOOD + "{{ response_a.__class__.__mro__[1].__subclasses__() }}", None, "sandbox"),
        (GOOD + "{% include 'other.j2' %}", None, "includes or imports"),
        (GOOD.replace("protocol: pairwise", "protocol: lima"), None, "'neither'"),
        ("{# protocol: single #}\nRate {{ response }}.", None, "never asks for the verdict"),
        (GOOD, "nosuch", "Unknown judge protocol 'nosuch'"),
        (GOOD, "single", "undefined variable(s): conversation_a"),
    ],
)
def test_check_rejects_bad_templates_with_exit_2(tmp_path: Path, source: str, protocol: str | None, message: str) -> None:
    path = tmp_path / "custom.j2"
    path.write_text(source)
    out = cli("rubric", "check", str(path), *(["--protocol", protocol] if protocol else []), cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_a_custom_rubric_copied_and_edited_is_used_by_the_suite(tmp_path: Path) -> None:
    (tmp_path / "strict.j2").write_text(GOOD.replace("careful, impartial judge", "strict grader of factual accuracy"))
    assert cli("rubric", "check", "strict.j2", cwd=tmp_path).returncode == 0
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", judge={"rubric": "strict.j2"})
    out = cli("rubric", "render", str(suite), "--prompt", "p1", cwd=tmp_path)
    assert out.returncode == 0 and "strict grader of factual accuracy" in out.stdout


def test_validate_judge_runs_the_suites_judge_in_both_orders(tmp_path: Path) -> None:
    pairs = [
        {"id": "1", "prompt": "Say hi.", "response_a": "Hello there, friend! Nice to meet you.", "response_b": "hi",
         "label": "A"},
        {"id": "2", "prompt": "Name a fruit.", "response_a": "Pear", "response_b": "An apple, crisp and sweet.",
         "label": "B"},
        {"id": "3", "prompt": "Count to 3.", "response_a": "1 2 3", "response_b": "1, 2, 3 and done",
         "label": ["B", "A"]},
    ]
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(p) for p in pairs) + "\n")
    with FakeOpenAIServer() as srv:  # the default judge prefers the longer response
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": "lima"})
        out = cli("validate-judge", "pairs.jsonl", "--suite", str(suite), "--json", "report.json", cwd=tmp_path)
        assert srv.counters.completions == 2 * len(pairs)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["positional_agreement"] == 1.0
    assert report["accuracy_ab"] == report["accuracy_ba"] == 1.0
    assert "accuracy" in out.stdout


def test_validate_judge_refuses_a_single_answer_suite(tmp_path: Path) -> None:
    (tmp_path / "pairs.jsonl").write_text(json.dumps(
        {"id": "1", "prompt": "p", "response_a": "a", "response_b": "b", "label": "A"}) + "\n")
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", judge={"rubric": "single"})
    out = cli("validate-judge", "pairs.jsonl", "--suite", str(suite), cwd=tmp_path)
    assert out.returncode == 2 and "grades one" in out.stderr
