"""Numbers that agree across commands: report, gate and compare on the same store (in process)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from judgebench.cli import main
from judgebench.testing.openai_server import FakeOpenAIServer, Faults
from tests.conftest import write_suite
from tests.gate.gate_helpers import gate_suite, prompts, responder


@pytest.fixture
def srv() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(responder=responder) as server:
        yield server


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _mdd(text: str) -> str:
    found = re.findall(r"With (\d+) prompts, differences smaller than about ([\d.]+) points", text)
    assert found, text
    return found[-1]


def test_report_gate_and_compare_state_one_rule_and_the_same_mdd(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    # "even" wins the even questions, "odd" the odd ones: no difference on 8 prompts.
    suite = gate_suite(tmp_path, srv.base_url, candidate="even", baseline="odd")
    out = tmp_path / "lb"
    assert invoke("run", str(suite), "--out", str(out)).exit_code == 0
    report = invoke("report", str(suite), "--out", str(out)).output
    gate = invoke("gate", str(suite), "--candidate", "cand", "--baseline", "base", "--no-run").output
    compare = invoke("compare", str(suite), "cand", "base", "--rounds", "200").output
    assert _mdd(report) == _mdd(gate) == _mdd(compare) == ("8", "70.0")
    assert "Significance: paired bootstrap" in report and "same resamples" in report
    first = compare.splitlines()[0]
    assert "95% CI" in first and "bootstrap p = " in first and "no significant difference" in first
    board = json.loads((out / "t" / "leaderboard.json").read_text())
    pair = next(p for p in board["paired"] if {p["a"], p["b"]} == {"cand", "base"})
    assert pair["min_detectable_difference"] == pytest.approx(70.0, abs=0.05)


def test_a_run_whose_generations_all_fail_is_reported_incomplete_with_errors(tmp_path: Path, srv: FakeOpenAIServer) -> None:
    failing = FakeOpenAIServer(faults=Faults(rate=1.0, kinds=("500",), max_per_request=1000))
    with failing:  # reachable, but every generation request fails after its retries; the judge is fine
        models = [{"name": n, "model": n, "base_url": failing.base_url} for n in ("cand", "base", "ref")]
        suite = write_suite(tmp_path, srv.base_url, models=models, prompts=prompts(3))
        out = tmp_path / "lb"
        invoke("run", str(suite), "--out", str(out))
    report = invoke("report", str(suite), "--out", str(out))
    board = json.loads((out / "t" / "leaderboard.json").read_text())
    rows = {r["model"]: r for r in board["rows"]}
    assert rows and all(r["n_errors"] > 0 and r["n_generation_errors"] == 3 for r in rows.values())
    assert board["completeness"]["complete"] is False
    assert "Incomplete" in report.output and "INCOMPLETE" in report.output
    assert "Incomplete" in (out / "t" / "leaderboard.md").read_text()
    page = (out / "t" / "index.html").read_text()
    assert "Incomplete" in page
