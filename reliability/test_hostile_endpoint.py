"""A hostile endpoint (reliability/hostile_server.py) through the real CLI: every wait is bounded,
a bad answer is data (an error row, or a cleaned-up stored answer), and reruns finish.

Each case runs ``judgebench run`` in a subprocess against a server whose every targeted request
gets one hostile answer. What must hold: the run ends (the server counts connections that
outlived its own lifetime: none), no traceback, one ``error:`` paragraph, the store intact with
one row per planned response, every row either ``ok`` with storable text or ``error`` with the
reason, the CLI's peak memory far below what a bomb would inflate to, and a rerun that ends the
same way instead of crashing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from reliability.helpers import REPO, cmd, connect, env, integrity, plan, write_suite
from reliability.hostile_server import MODES, NORMALISED, HostileServer

HANG_GUARD = 900
"""Seconds after which a CLI run counts as hung (a failure, not a speed limit)."""
RESULTS = REPO / "test-artifacts" / "reliability" / "hostile"
RSS_BOUND_MB = 400
"""The gzip bombs inflate to 500 MB; a CLI that never inflates them stays far below this."""


def _run(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI to completion, and its own peak RSS in MB (the kernel's, from wait4)."""
    out_path, err_path = folder / "cli.stdout", folder / "cli.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd(*args), cwd=folder, env=env(), stdout=out, stderr=err)
        guard = threading.Timer(HANG_GUARD, proc.kill)
        guard.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            guard.cancel()
    code = os.waitstatus_to_exitcode(status)
    assert code != -9, f"judgebench {' '.join(args)} hung for {HANG_GUARD} s and was killed"
    result = subprocess.CompletedProcess(args, code, out_path.read_text(), err_path.read_text())
    return result, usage.ru_maxrss / 1024


def _record(name: str, **figures: Any) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=1, default=str) + "\n")


def _suite(folder: Path, base_url: str) -> Path:
    return write_suite(folder, base_url, n_prompts=2, multi_every=0, concurrency=2, timeout=1.5,
                       top_extra={"retry": {"attempts": 2, "initial_wait": 0.01, "max_wait": 0.05, "deadline": 4}})


def _rows(store: Path, table: str) -> list[dict[str, Any]]:
    with connect(store) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(f"SELECT * FROM {table}")]


def _one_paragraph(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    tail = [line for line in stderr.strip().splitlines() if line.strip()]
    assert tail and any(line.startswith("error: ") for line in tail), stderr


ERROR_MODES = sorted(set(MODES) - NORMALISED)


@pytest.mark.parametrize("mode", ERROR_MODES)
def test_a_hostile_generation_answer_becomes_error_rows(tmp_path: Path, mode: str) -> None:
    with HostileServer(mode, target="generate", interval=0.2) as srv:
        suite = _suite(tmp_path, srv.base_url)
        planned = plan(suite)
        res, rss = _run(tmp_path, "run", str(suite), "--out", "lb")
        again, rss2 = _run(tmp_path, "run", str(suite), "--out", "lb")
        counts = srv.counts
    assert res.returncode == 1, f"{mode}: exit {res.returncode}\n{res.stderr}"
    assert again.returncode == 1, f"{mode} rerun: exit {again.returncode}\n{again.stderr}"
    _one_paragraph(res.stderr)
    _one_paragraph(again.stderr)
    assert counts.hostile >= planned.responses
    assert counts.outlived == 0, f"{mode}: {counts.outlived} connection(s) outlived the server's lifetime"
    if mode in ("trickle", "hang"):
        assert counts.gave_up >= planned.responses, counts
    store = tmp_path / ".judgebench" / "store.sqlite"
    assert integrity(store) == "ok"
    rows = _rows(store, "responses")
    assert len(rows) == planned.responses
    assert all(r["status"] == "error" and r["error"] for r in rows), [r["error"] for r in rows]
    assert _rows(store, "judgments") == [], "nothing to judge: every response failed"
    assert store.stat().st_size < 2 << 20, f"{mode}: the store grew to {store.stat().st_size} bytes"
    assert max(rss, rss2) < RSS_BOUND_MB, f"{mode}: peak RSS {max(rss, rss2):.0f} MB"
    _record(f"generate-{mode}", exit=[res.returncode, again.returncode], peak_rss_mb=round(max(rss, rss2), 1),
            store_bytes=store.stat().st_size, requests=counts.requests, hostile=counts.hostile,
            gave_up=counts.gave_up, outlived=counts.outlived, bytes_sent=counts.bytes_sent, error=rows[0]["error"])
    if mode in ("oversized", "gzip-bomb"):
        assert all("larger than" in r["error"] for r in rows), rows[0]["error"]
        assert counts.hostile == 2 * planned.responses, "an oversized answer is not retried (it would come again)"
    if mode.startswith("usage-"):
        assert all("usage" in r["error"] for r in rows), rows[0]["error"]


@pytest.mark.parametrize("mode", sorted(NORMALISED))
def test_a_repairable_answer_is_normalised_and_stored(tmp_path: Path, mode: str) -> None:
    with HostileServer(mode, target="generate") as srv:
        suite = _suite(tmp_path, srv.base_url)
        planned = plan(suite)
        res, _ = _run(tmp_path, "run", str(suite), "--out", "lb")
        again, _ = _run(tmp_path, "run", str(suite), "--out", "lb")
        hostile = srv.counts.hostile
    assert res.returncode == 0, f"{mode}: {res.stderr}"
    assert again.returncode == 0 and "Traceback" not in again.stderr
    assert hostile == planned.responses, "stored once, never re-requested"
    store = tmp_path / ".judgebench" / "store.sqlite"
    rows = _rows(store, "responses")
    assert len(rows) == planned.responses and all(r["status"] == "ok" for r in rows)
    texts = [r["text"] for r in rows]
    for t in texts:
        t.encode("utf-8")  # storable, printable text
    if mode in ("surrogates", "invalid-utf8"):
        assert all("\ufffd" in t for t in texts), texts
    else:
        assert all(" says:" in t for t in texts), texts  # the two parts joined back into the answer
    assert len(_rows(store, "judgments")) == planned.judgments
    board = json.loads((tmp_path / "lb" / "rel" / "leaderboard.json").read_text())
    assert board["rows"]
    _record(f"normalised-{mode}", exit=[res.returncode, again.returncode], hostile=hostile, sample=texts[0][-40:])


JUDGE_MODES = ["usage-inf", "usage-huge", "content-object", "body-null", "gzip-bomb", "trickle"]


@pytest.mark.parametrize("mode", JUDGE_MODES)
def test_a_hostile_judge_answer_becomes_error_rows(tmp_path: Path, mode: str) -> None:
    with HostileServer(mode, target="judge") as srv:
        suite = _suite(tmp_path, srv.base_url)
        planned = plan(suite)
        res, rss = _run(tmp_path, "run", str(suite), "--out", "lb")
        outlived = srv.counts.outlived
    assert res.returncode == 1, res.stderr
    _one_paragraph(res.stderr)
    assert outlived == 0
    assert rss < RSS_BOUND_MB
    store = tmp_path / ".judgebench" / "store.sqlite"
    assert all(r["status"] == "ok" for r in _rows(store, "responses"))
    judgments = _rows(store, "judgments")
    assert len(judgments) == planned.judgments and all(j["status"] == "error" for j in judgments)
    assert (tmp_path / "lb" / "rel" / "leaderboard.json").exists(), "the report is still written"
    _record(f"judge-{mode}", exit=res.returncode, peak_rss_mb=round(rss, 1), error=judgments[0]["error"])


def test_the_hostile_server_is_bounded_and_loopback_only() -> None:
    with HostileServer("hang", lifetime=0.5) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:")
    assert srv._thread is not None and not srv._thread.is_alive(), "it stops itself"
    with pytest.raises(ValueError):
        HostileServer("no-such-mode")
