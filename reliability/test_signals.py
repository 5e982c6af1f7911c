"""CI conventions: SIGTERM (a cancelled CI job) stops a run like Ctrl-C and exits 143 with nothing
lost; a closed stdout pipe (``judgebench report ... | head -1``) ends quietly with 141."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer
from reliability.helpers import TABLES, cli, cmd, count, env, integrity, plan, rows, write_suite


@pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"])
def test_sigterm_mid_run_exits_143_quietly_and_loses_nothing(tmp_path: Path, sigint: signal.Handlers) -> None:
    """``sigint-ignored`` is a background job of a CI script (``judgebench run ... &``): it inherits
    SIGINT ignored, so asyncio installs no Ctrl-C handler and SIGTERM must stop the run without it.
    The disposition is set for the child explicitly, so the test does not depend on how pytest was
    started."""
    proc: list[subprocess.Popen[str]] = []

    def hook(number: int, body: dict[str, Any]) -> None:
        if number == 14:  # a first round of responses is stored by now, others are in flight
            threading.Timer(0.05, lambda: os.kill(proc[0].pid, signal.SIGTERM)).start()

    with FakeOpenAIServer(latency=0.05, on_request=hook) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=8, concurrency=2)
        proc.append(subprocess.Popen(cmd("run", str(suite), "--out", str(tmp_path / "lb")), cwd=tmp_path,
                                     env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, sigint)))
        out, err = proc[0].communicate(timeout=120)
        assert proc[0].returncode == 143, (proc[0].returncode, out[-2000:], err[-2000:])
        assert "Terminated (SIGTERM)" in err and "rerun to continue" in err
        assert "Traceback" not in err + out
        store = tmp_path / ".judgebench" / "store.sqlite"
        assert integrity(store) == "ok"
        before = {t: rows(store, t) for t in TABLES}
        assert 0 < len(before["responses"]) < plan(suite).responses

        rerun = cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert rerun.returncode == 0, rerun.stderr
    after = {t: rows(store, t) for t in TABLES}
    for t in TABLES:
        assert all(after[t].get(k) == row for k, row in before[t].items()), f"{t} rows changed or vanished"
    assert count(store, "responses") == plan(suite).responses
    assert count(store, "judgments") == plan(suite).judgments


def test_a_closed_stdout_pipe_ends_quietly_with_141(tmp_path: Path) -> None:
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=4)
        assert cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path).returncode == 0
        proc = subprocess.Popen(cmd("report", str(suite), "--out", str(tmp_path / "lb")), cwd=tmp_path, env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before the table is printed
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, (proc.returncode, err[-2000:])
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err, err
