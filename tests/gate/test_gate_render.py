"""Renderers: the same GateResult as text, markdown, JUnit XML and JSON, with hostile detail text."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from judgebench.gate import Check, GateResult, GateSettings, to_json, to_junit, to_markdown, to_text

HOSTILE = 'model <b>&"x" | y</b>'


def result(passed: bool) -> GateResult:
    settings = GateSettings(candidate="c<1>", baseline="b&2", reference="r", min_win_rate=40.0)
    checks = (Check("regression", passed, HOSTILE, float("nan"), 0.0), Check("errors", True, "fine", 0.0, 0.0))
    return GateResult("s|1", settings, checks, {"diff": float("inf")}, {}, None, ("a note | with a pipe",))


def test_junit_one_case_per_check_and_escaped() -> None:
    root = ET.fromstring(to_junit(result(False)).split("\n", 1)[1])
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert list(cases) == ["regression", "errors"]
    failure = cases["regression"].find("failure")
    assert failure is not None and failure.get("message") == HOSTILE
    assert cases["errors"].find("failure") is None
    assert root.get("failures") == "1"
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["candidate"] == "c<1>" and props["min_win_rate"] == "40.0"


def test_json_is_strict_and_says_the_decision() -> None:
    data = json.loads(to_json(result(False)))  # NaN and inf become null, so strict parsers accept it
    assert data["passed"] is False and data["exit_code"] == 1
    assert data["checks"][0]["value"] is None and data["comparison"]["diff"] is None
    assert json.loads(to_json(result(True)))["exit_code"] == 0


def test_markdown_keeps_one_row_per_check() -> None:
    md = to_markdown(result(False))
    rows = [line for line in md.splitlines() if line.startswith("| regression") or line.startswith("| errors")]
    assert len(rows) == 2
    assert rows[0].count(" | ") == 4  # the pipe inside the detail is escaped
    assert "❌ failed" in md and "a note \\| with a pipe" in md


def test_text_names_each_check_and_the_exit_code() -> None:
    text = to_text(result(False))
    assert "FAIL  regression" in text and "PASS  errors" in text and text.endswith("exit 1: the gate failed (a regression or a limit)")
    assert to_text(result(True)).endswith("exit 0: passed")
