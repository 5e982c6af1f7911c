"""The gate through the real CLI (a subprocess), one test per outcome, against a loopback server."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from judgebench.cli import main
from judgebench.testing.openai_server import FakeOpenAIServer, Faults
from tests.conftest import cli
from tests.gate.gate_helpers import closed_port, gate_suite, responder


@pytest.fixture
def srv() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=responder) as server:
        yield server


def gate(suite: Path | str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return cli("gate", str(suite), *args, env=env)


def in_process(*args: str) -> int:
    """Set-up steps run in this process (faster than a subprocess); the gate itself runs in one."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code


def junit_failures(path: Path) -> dict[str, bool]:
    """check name -> failed, from a JUnit file."""
    root = ET.parse(path).getroot()
    return {case.get("name", ""): case.find("failure") is not None for case in root.iter("testcase")}


def test_pass_writes_every_output_and_reruns_nothing(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    suite = gate_suite(tmp_path, srv.base_url, candidate="long", baseline="short")
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    junit, js, md = tmp_path / "gate.xml", tmp_path / "gate.json", tmp_path / "gate.md"
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--junit", str(junit), "--json", str(js),
             "--markdown", str(md), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "judgebench gate PASSED" in r.stdout
    result = json.loads(js.read_text())
    assert result["passed"] is True and result["exit_code"] == 0
    assert result["comparison"]["verdict"] == "A better" and result["comparison"]["diff"] == 100.0
    assert [c["name"] for c in result["checks"]] == ["regression", "parse_failures", "errors"]
    assert junit_failures(junit) == {"regression": False, "parse_failures": False, "errors": False}
    assert summary.read_text().startswith("earlier step\n### judgebench gate ✅ passed")
    assert md.read_text() == summary.read_text().removeprefix("earlier step\n")
    # 3 models x 8 prompts generated, 2 models x 8 prompts x 2 orders judged (retries count too)
    sent = re.search(r"This run sent (\d+) request", r.stdout)
    assert sent and int(sent.group(1)) >= 56
    # Everything is stored now: a second gate sends no request at all.
    again = gate(suite, "--candidate", "cand", "--baseline", "base")
    assert again.returncode == 0, again.stderr
    assert "This run sent 0 request(s)" in again.stdout


def test_regression_fails_with_exit_1(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    suite = gate_suite(tmp_path, srv.base_url, candidate="short", baseline="long")
    junit = tmp_path / "gate.xml"
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--junit", str(junit))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL  regression" in r.stdout and "base better" in r.stdout
    assert junit_failures(junit) == {"regression": True, "parse_failures": False, "errors": False}
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "1" and root.get("tests") == "3"


def test_no_significant_difference_passes(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    # The candidate wins the even questions and loses the odd ones; the baseline the reverse.
    suite = gate_suite(tmp_path, srv.base_url, candidate="even", baseline="odd")
    js = tmp_path / "gate.json"
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--json", str(js))
    assert r.returncode == 0, r.stdout + r.stderr
    c = json.loads(js.read_text())["comparison"]
    assert c["verdict"] == "no significant difference"
    assert c["ci_low"] < 0 < c["ci_high"] and c["p_value"] == 1.0


def test_margin_and_alpha_from_the_suite_are_overridden_by_flags(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    # A certain 100-point drop: any margin below 100 fails it, a margin of 100 tolerates it.
    suite = gate_suite(tmp_path, srv.base_url, candidate="short", baseline="long", gate="margin: 100")
    assert gate(suite, "--candidate", "cand", "--baseline", "base").returncode == 0
    assert gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run", "--margin", "50").returncode == 1


def test_parse_failure_limit(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    # Half of the candidate's answers make the judge answer without a verdict.
    suite = gate_suite(tmp_path, srv.base_url, candidate="long-garble", baseline="long")
    js = tmp_path / "gate.json"
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--json", str(js))
    assert r.returncode == 1, r.stdout + r.stderr
    checks = {c["name"]: c for c in json.loads(js.read_text())["checks"]}
    assert not checks["parse_failures"]["passed"] and checks["parse_failures"]["value"] == 0.5
    assert checks["regression"]["passed"] and checks["errors"]["passed"]
    # A looser limit lets the same stored results through.
    assert gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run",
                "--max-parse-failures", "0.5").returncode == 0


def test_absolute_floor(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    # Not worse than the baseline (50 vs 50), but below the suite's floor of 60.
    suite = gate_suite(tmp_path, srv.base_url, candidate="even", baseline="odd", gate="min_win_rate: 60")
    js = tmp_path / "gate.json"
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--json", str(js))
    assert r.returncode == 1, r.stdout + r.stderr
    checks = {c["name"]: c for c in json.loads(js.read_text())["checks"]}
    assert not checks["min_win_rate"]["passed"] and checks["min_win_rate"]["value"] == 50.0
    assert checks["regression"]["passed"]
    assert gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run", "--min-win-rate", "50").returncode == 0


def test_candidate_and_baseline_from_the_suite(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    suite = gate_suite(tmp_path, srv.base_url, candidate="short", baseline="long",
                       gate="candidate: cand, baseline: base")
    assert gate(suite).returncode == 1
    assert gate(suite, "--candidate", "base", "--baseline", "cand", "--no-run").returncode == 0


def test_mismatched_manifests_are_refused(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    suite = gate_suite(tmp_path, srv.base_url, candidate="long", baseline="short")
    assert in_process("run", str(suite), "--out", str(tmp_path / "lb")) == 0
    # The judge's settings change; only the candidate is judged again under them.
    gate_suite(tmp_path, srv.base_url, candidate="long", baseline="short", judge={"temperature": 0.7})
    assert in_process("judge", str(suite), "--model", "cand") == 0
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "different manifests" in r.stderr and "judge parameters" in r.stderr and "Traceback" not in r.stderr
    # The stored suite (by name) is refused the same way.
    store = tmp_path / ".judgebench" / "store.sqlite"
    assert gate("t", "--store", str(store), "--candidate", "cand", "--baseline", "base").returncode == 2
    # A prompt set that grew is a different manifest too.
    gate_suite(tmp_path, srv.base_url, candidate="long", baseline="short", n=10, judge={"temperature": 0.7})
    assert in_process("run", str(suite), "--model", "cand", "--out", str(tmp_path / "lb")) == 0
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run")
    assert r.returncode == 2 and "prompt set" in r.stderr, r.stderr
    # Without --no-run the gate judges the baseline under the current manifest, and compares.
    r = gate(suite, "--candidate", "cand", "--baseline", "base")
    assert r.returncode == 0, r.stdout + r.stderr


def test_endpoint_down_exits_3(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    suite = gate_suite(tmp_path, srv.base_url, candidate="long", baseline="short", candidate_url=url)
    r = gate(suite, "--candidate", "cand", "--baseline", "base")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "judgebench gate" not in r.stdout and "Traceback" not in r.stderr


def test_requests_failing_after_retries_exit_3_not_1(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    # The candidate's server answers every request with HTTP 500: the pipeline broke, not the model.
    broken = FakeOpenAIServer(responder=responder, faults=Faults(rate=1.0, kinds=("500",), max_per_request=1000))
    with broken:
        suite = gate_suite(tmp_path, srv.base_url, candidate="long", baseline="short", candidate_url=broken.base_url)
        r = gate(suite, "--candidate", "cand", "--baseline", "base")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "could not complete" in r.stderr
    # Gating on what is stored, those failures are errors the candidate is held to.
    js = tmp_path / "gate.json"
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run", "--json", str(js))
    assert r.returncode == 1, r.stdout + r.stderr
    checks = {c["name"]: c for c in json.loads(js.read_text())["checks"]}
    assert not checks["errors"]["passed"] and checks["errors"]["value"] == 1.0


@pytest.mark.parametrize(("args", "message"), [
    (["--candidate", "cand", "--baseline", "cand"], "the same model"),
    (["--candidate", "nope", "--baseline", "base"], "not a model"),
    (["--baseline", "base"], "No candidate"),
    (["--candidate", "cand", "--baseline", "ref"], "is a reference"),
    (["--candidate", "cand", "--baseline", "base", "--reference", "base"], "not a reference"),
])
def test_bad_usage_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    suite = gate_suite(tmp_path, "http://127.0.0.1:9/v1", candidate="long", baseline="short")
    r = gate(suite, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr


def test_no_run_without_a_store_exits_2(tmp_path: Path) -> None:
    suite = gate_suite(tmp_path, "http://127.0.0.1:9/v1", candidate="long", baseline="short")
    r = gate(suite, "--candidate", "cand", "--baseline", "base", "--no-run")
    assert r.returncode == 2 and "does not exist" in r.stderr
