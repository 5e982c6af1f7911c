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
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reliability.helpers import cmd, connect, env, integrity, plan, write_suite
from reliability.hostile_server import MODES, NORMALISED, HostileServer

HANG_GUARD = 900
"""Seconds after which a CLI run counts as hung (a failure, not a speed limit)."""
RSS_BOUND_MB = 400
"""The gzip bombs inflate to 500 MB; a CLI that never inflates them stays far below this."""


def _run(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI to completion, and its peak RSS in MB (wait4's ru_maxrss)."""
    proc = subprocess.Popen(cmd(*args), cwd=folder, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        out, err = proc.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"judgebench {' '.join(args)} hung for {HANG_GUARD} s")
    # communicate() reaped it; its peak RSS is in the children's usage, which only grows:
    import resource

    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return subprocess.CompletedProcess(args, proc.returncode, out, err), rss_mb


def _suite(folder: Path, base_url: str) -> Path:
    return write_suite(folder, base_url, n_prompts=2, multi_every=0, concurrency=2, timeout=1.5,
                       top_extra={"retry": {"attempts": 2, "initial_wait": 0.01, "max_wait": 0.05, "deadline": 4}})


def _rows(store: Path, table: str) -> list[dict[str, Any]]:
    with connect(store) as db:
        db.row_factory = __import__("sqlite3").Row
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


def test_the_hostile_server_is_bounded_and_loopback_only() -> None:
    with HostileServer("hang", lifetime=0.5) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:")
    assert srv._thread is not None and not srv._thread.is_alive(), "it stops itself"
    with pytest.raises(ValueError):
        HostileServer("no-such-mode")
    assert os.environ.get("NO_SUCH") is None
