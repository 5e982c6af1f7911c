"""SIGKILL at random moments, and two runs on one store at once.

Each kill trial runs ``python -m judgebench run`` against a loopback server with latency, kills it
with SIGKILL when the server has received a randomly chosen request (plus a random fraction of
the latency), then reruns to completion and checks: every row present at the kill is still there
with the same content, no row is stored twice (keys are primary keys, and the row counts equal the
plan), and the requests sent in total exceed a clean run's by at most what was in flight at the
kill. "In flight" is measured as requests the server received that the store does not account
for; it must itself stay within what the concurrency allows (a lost commit would break that).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer
from reliability.helpers import (
    REPO,
    TABLES,
    board,
    cli,
    cmd,
    count,
    env,
    integrity,
    plan,
    request_equivalents,
    rows,
    write_suite,
)

N_TRIALS = 20
LATENCY = 0.02
CONCURRENCY = 4
MAX_TURNS = 2
RESULTS = REPO / "test-artifacts" / "reliability"


def _wait_idle(srv: FakeOpenAIServer) -> None:
    """Until the server has answered (or dropped) everything it received."""
    while srv.counters.in_flight:
        time.sleep(0.01)


def _store(folder: Path) -> Path:
    return folder / ".judgebench" / "store.sqlite"


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(8)
    with FakeOpenAIServer(latency=LATENCY) as srv:
        clean_suite = write_suite(tmp_path / "clean", srv.base_url, n_prompts=8, concurrency=CONCURRENCY)
        clean = cli("run", str(clean_suite), "--out", str(tmp_path / "clean" / "lb"), cwd=tmp_path)
        assert clean.returncode == 0, clean.stderr
        clean_requests = srv.counters.requests
    expected = plan(clean_suite)
    assert clean_requests == expected.requests
    clean_board = board(tmp_path / "clean" / "lb")
    # Each model is a role with its own `concurrency` (judgebench.endpoints: lanes), so generation keeps
    # up to CONCURRENCY jobs in flight per model -- cand-a, cand-b, ref -- each of up to MAX_TURNS requests.
    bound = CONCURRENCY * MAX_TURNS * 3

    trials: list[dict[str, Any]] = []
    for trial in range(N_TRIALS):
        folder = tmp_path / f"trial{trial}"
        target = rng.randint(1, clean_requests - 1)
        delay = rng.uniform(0, 2 * LATENCY)
        proc: list[subprocess.Popen[str]] = []
        at_kill: dict[str, Any] = {}

        def hook(number: int, body: dict[str, Any], target: int = target, delay: float = delay,
                 proc: list[subprocess.Popen[str]] = proc, at_kill: dict[str, Any] = at_kill) -> None:
            if number != target:
                return
            at_kill["phase"] = "judging" if "response_format" in body else "generation"

            def kill() -> None:
                at_kill["server_in_flight"] = srv.counters.in_flight
                os.kill(proc[0].pid, signal.SIGKILL)

            threading.Timer(delay, kill).start()

        with FakeOpenAIServer(latency=LATENCY, on_request=hook) as srv:
            suite = write_suite(folder, srv.base_url, n_prompts=8, concurrency=CONCURRENCY)
            proc.append(subprocess.Popen(cmd("run", str(suite), "--out", str(folder / "lb")), cwd=tmp_path,
                                         env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            proc[0].communicate()
            assert proc[0].returncode == -signal.SIGKILL, f"trial {trial}: the run ended before the kill"
            _wait_idle(srv)
            store = _store(folder)
            received = srv.counters.requests
            assert integrity(store) == "ok"
            before = {t: rows(store, t) for t in TABLES}
            in_flight = received - request_equivalents(store)
            assert 0 <= in_flight <= bound, f"trial {trial}: {in_flight} received results not stored"

            rerun = cli("run", str(suite), "--out", str(folder / "lb"), cwd=tmp_path)
            assert rerun.returncode == 0, rerun.stderr
            total = srv.counters.requests

        after = {t: rows(store, t) for t in TABLES}
        for t in TABLES:
            lost = [k for k, row in before[t].items() if after[t].get(k) != row]
            assert not lost, f"trial {trial}: {len(lost)} {t} rows changed or vanished"
        assert count(store, "responses") == len(after["responses"]) == expected.responses
        assert count(store, "judgments") == len(after["judgments"]) == expected.judgments
        assert all(r[1] == "ok" for t in TABLES for r in after[t].values())
        assert integrity(store) == "ok"
        assert total <= clean_requests + in_flight, f"trial {trial}: {total} requests > {clean_requests} + {in_flight}"
        assert board(folder / "lb") == clean_board
        trials.append({"trial": trial, "kill_at_request": target, "phase": at_kill["phase"],
                       "rows_at_kill": sum(len(v) for v in before.values()),
                       "server_in_flight_at_kill": at_kill["server_in_flight"], "in_flight": in_flight,
                       "total_requests": total, "clean_requests": clean_requests})

    phases = {t["phase"] for t in trials}
    assert phases == {"generation", "judging"}, phases
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sigkill_trials.json").write_text(json.dumps(trials, indent=1) + "\n")


def test_two_runs_on_one_store_at_once(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.01) as srv:
        suite = write_suite(tmp_path / "s", srv.base_url, n_prompts=16, concurrency=4)
        store = tmp_path / "shared.sqlite"
        procs = [subprocess.Popen(cmd("run", str(suite), "--store", str(store), "--out", str(tmp_path / f"lb{i}")),
                                  cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
        outs = [p.communicate() for p in procs]
        for p, (_, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, err
        expected = plan(suite)
        assert srv.counters.requests <= 2 * expected.requests
    assert integrity(store) == "ok"
    assert count(store, "responses") == expected.responses
    assert count(store, "judgments") == expected.judgments
    assert board(tmp_path / "lb0") == board(tmp_path / "lb1")
    again = cli("run", str(suite), "--store", str(store), "--out", str(tmp_path / "lb2"), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert board(tmp_path / "lb2") == board(tmp_path / "lb0")
