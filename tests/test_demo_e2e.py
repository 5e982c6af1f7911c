"""The shipped demo suite, end to end on the real vLLM CPU server with the embedded SmolLM2.

This is what `make demo` runs. It checks what a newcomer sees: real, differing responses, parsed
verdicts with the parse-failure rate reported, no vLLM process left behind, and a second run that
sends nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

from tests.conftest import NEEDS_VLLM, REPO, cli

pytestmark = NEEDS_VLLM


def _processes_writing_under(folder: Path) -> list[int]:
    """PIDs holding a file open under ``folder``: a vLLM server keeps its log there while alive."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            targets = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        if any(t.startswith(str(folder)) for t in targets):
            pids.append(int(entry.name))
    return pids


def test_demo_suite_end_to_end(tmp_path: Path) -> None:
    for name in ("demo.yaml", "demo_prompts.jsonl"):
        shutil.copy(REPO / "suites" / name, tmp_path / name)
    suite = tmp_path / "demo.yaml"

    first = cli("run", str(suite), "--out", str(tmp_path / "lb"), timeout=1800)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert list((tmp_path / ".judgebench" / "logs").glob("*/vllm-*.log")), "no vLLM server log was written"
    assert _processes_writing_under(tmp_path) == [], "a vLLM server was left running"
    assert "parse-failure rate" in first.stdout

    store = tmp_path / ".judgebench" / "store.sqlite"
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT status, text, info FROM responses").fetchall()
        judgments = db.execute("SELECT status, preference FROM judgments").fetchall()
    assert len(rows) == 4 * 35 and all(status == "ok" for status, _, _ in rows)
    by_model: dict[str, list[str]] = {}
    for _, text, info in rows:
        assert text.strip(), "an empty response"
        by_model.setdefault(json.loads(info)["model"], []).append(text)
    answers = {model: tuple(sorted(texts)) for model, texts in by_model.items()}
    assert len(set(answers.values())) == 4, "the demo's models must really answer differently"

    assert len(judgments) == 3 * 35 * 2
    board = json.loads((tmp_path / "lb" / "demo" / "leaderboard.json").read_text())
    assert board["reliability"]["parse_failure_rate"] is not None
    parsed = sum(1 for status, _ in judgments if status == "ok")
    assert parsed > 0, "no verdict could be parsed"
    assert sum(r["n_parse_failures"] for r in board["rows"]) == sum(1 for s, _ in judgments if s == "parse_failure")
    assert (tmp_path / "lb" / "demo" / "index.html").exists()

    second = cli("run", str(suite), "--out", str(tmp_path / "lb"), timeout=600)
    assert second.returncode == 0, second.stderr
    sent = [int(n) for n in re.findall(r"(\d+) request\(s\) sent", second.stdout)]
    assert sent and sum(sent) == 0, second.stdout
    assert "vLLM" not in second.stderr
    assert _processes_writing_under(tmp_path) == []
