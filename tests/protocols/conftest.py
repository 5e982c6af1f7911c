"""Helpers for protocol tests: run a suite in-process against the loopback server, read results."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from judgebench import pipeline
from judgebench.report import frames
from judgebench.store import Store
from judgebench.testing.openai_server import default_responder

Body = dict[str, Any]


def run_suite(path: Path, tmp: Path) -> dict[str, Any]:
    """generate -> judge -> report in-process; the leaderboard dict."""
    prepared = pipeline.prepare(path, {})
    options = pipeline.RunOptions(store=tmp / "store.sqlite", leaderboards=tmp / "lb")
    result = pipeline.run(prepared, options)
    assert result.leaderboard is not None
    return result.leaderboard


def judgments_frame(path: Path, tmp: Path) -> pd.DataFrame:
    prepared = pipeline.prepare(path, {})
    with Store(tmp / "store.sqlite") as store:
        judgments, _ = frames(prepared.suite, prepared.prompts, prepared.rubric, store)
    return judgments


def row(board: dict[str, Any], model: str, reference: str = "ref") -> dict[str, Any]:
    found = [r for r in board["rows"] if r["model"] == model and r["reference"] == reference]
    assert len(found) == 1, (model, reference, [(r["model"], r["reference"]) for r in board["rows"]])
    return found[0]


def judge_text(body: Body) -> str:
    return str(body["messages"][-1]["content"])


def labels(body: Body) -> list[str]:
    schema = body["response_format"]["json_schema"]["schema"]
    return list(schema["properties"]["verdict"]["enum"])


def shown_first(body: Body, marker: str, other: str) -> bool | None:
    """Whether the response containing ``marker`` is shown before the one containing ``other``."""
    text = judge_text(body)
    a, b = text.find(marker), text.find(other)
    if a < 0 or b < 0:
        return None
    return a < b


def judge_responder(verdict: Callable[[Body], Any]) -> Callable[[Body], Any]:
    """Generation answers as the default responder; judge requests answered by ``verdict``."""

    def respond(body: Body) -> Any:
        if not body.get("response_format"):
            return default_responder(body)
        out = verdict(body)
        return json.dumps(out) if isinstance(out, dict) else out

    return respond


SECTION = re.compile(r"\[Response A\]\n(.*?)\n\n\[Response B\]\n(.*?)\n", re.S)
