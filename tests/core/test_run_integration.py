"""The whole path through the real CLI against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from judgebench.testing.openai_server import FakeOpenAIServer, Faults, default_responder
from tests.conftest import PROMPTS, cli, write_suite

N_MODELS_JUDGED = 2  # small, large-model vs ref
N_PROMPTS = len(PROMPTS)


def _rows(store: Path, table: str) -> dict[str, tuple[object, ...]]:
    with sqlite3.connect(store) as db:
        return {r[0]: r[1:] for r in db.execute(f"SELECT key, status, {'text' if table == 'responses' else 'preference'} FROM {table}")}


def _board(out: Path) -> list[dict[str, object]]:
    data = json.loads((out / "t" / "leaderboard.json").read_text())
    return data["rows"]


def test_run_report_then_rerun_sends_zero_requests(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    first = cli("run", str(suite), "--out", str(tmp_path / "lb"))
    assert first.returncode == 0, first.stderr
    sent = fake_server.counters.requests
    # 3 models x 6 prompts (one has two turns) + 2 models x 6 prompts x 2 orders
    assert sent == 3 * (N_PROMPTS + 1) + N_MODELS_JUDGED * N_PROMPTS * 2
    board = _board(tmp_path / "lb")
    assert {r["model"] for r in board} == {"small", "large-model"}
    for row in board:
        assert row["n_total"] == N_PROMPTS and row["n_parse_failures"] == 0 and row["n_errors"] == 0
    for ext in ("json", "csv", "md"):
        assert (tmp_path / "lb" / "t" / f"leaderboard.{ext}").exists()
    assert "small" in first.stdout and "Win rate" in first.stdout

    again = cli("run", str(suite), "--out", str(tmp_path / "lb"))
    assert again.returncode == 0, again.stderr
    assert fake_server.counters.requests == sent, "a rerun must send zero requests"


def test_changing_the_rubric_reruns_only_judgments_and_a_new_model_only_its_work(
        tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    assert cli("run", str(suite)).returncode == 0
    base = fake_server.counters.requests

    rubric = tmp_path / "my_rubric.j2"
    rubric.write_text((Path(__file__).resolve().parents[2] / "prompts" / "pairwise.j2").read_text() + "\nBe strict.\n")
    suite.write_text(suite.read_text().replace('"model": "judge"', f'"model": "judge", "rubric": "{rubric.name}"'))
    assert cli("run", str(suite)).returncode == 0
    assert fake_server.counters.requests - base == N_MODELS_JUDGED * N_PROMPTS * 2
    base = fake_server.counters.requests

    text = suite.read_text().replace("reference: ref",
                                     '  - {"name": "newcomer", "model": "newcomer", "provider": "openai", '
                                     f'"base_url": "{fake_server.base_url}"}}\nreference: ref')
    suite.write_text(text)
    assert cli("run", str(suite)).returncode == 0
    assert fake_server.counters.requests - base == (N_PROMPTS + 1) + N_PROMPTS * 2


def test_injected_faults_are_retried_and_results_equal_a_clean_run(tmp_path: Path) -> None:
    clean_dir, faulty_dir = tmp_path / "clean", tmp_path / "faulty"
    clean_dir.mkdir()
    faulty_dir.mkdir()
    with FakeOpenAIServer() as srv:
        assert cli("run", str(write_suite(clean_dir, srv.base_url)), "--out", str(clean_dir / "lb")).returncode == 0
    with FakeOpenAIServer(faults=Faults(rate=0.4, seed=3, hang_seconds=3.0)) as srv:
        res = cli("run", str(write_suite(faulty_dir, srv.base_url)), "--out", str(faulty_dir / "lb"))
        assert res.returncode == 0, res.stderr
        assert set(srv.counters.faults) >= {"429", "500", "nonjson"}, srv.counters.faults
    clean = json.loads((clean_dir / "lb" / "t" / "leaderboard.json").read_text())
    faulty = json.loads((faulty_dir / "lb" / "t" / "leaderboard.json").read_text())
    for section in ("rows", "paired", "categories", "reliability", "bradley_terry"):
        assert clean[section] == faulty[section], section


def test_garbage_verdicts_become_parse_failures(tmp_path: Path) -> None:
    def responder(body: dict[str, object]) -> str:
        if body.get("response_format"):
            return "Both answers have merit; I cannot decide."
        return default_responder(body)

    with FakeOpenAIServer(responder=responder) as srv:
        suite = write_suite(tmp_path, srv.base_url)
        res = cli("run", str(suite), "--out", str(tmp_path / "lb"))
        # 100% unreadable verdicts fail the run (issue 12), but are stored and reported as such.
        assert res.returncode == 1, res.stderr
        assert "gate.max_parse_failures" in res.stderr and "100%" in res.stderr
        board = _board(tmp_path / "lb")
        for row in board:
            assert row["n_parse_failures"] == N_PROMPTS * 2
            assert row["n_total"] == 0 and row["n_draws"] == 0 and row["n_wins_base"] == 0
        before = srv.counters.requests
        assert cli("run", str(suite)).returncode == 1
        assert srv.counters.requests - before == N_MODELS_JUDGED * N_PROMPTS * 2, "parse failures are re-requested"


def test_bad_suite_exits_2_names_the_field_and_writes_nothing(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    suite.write_text(suite.read_text().replace('"provider": "openai", "base_url"', '"provider": "openia", "base_url"', 1))
    res = cli("run", str(suite))
    assert res.returncode == 2
    assert "models[0] (small).provider" in res.stderr and str(suite) in res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / ".judgebench").exists()
    assert fake_server.counters.requests == 0


def test_endpoint_down_exits_3_and_keeps_results(tmp_path: Path) -> None:
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url)
        assert cli("generate", str(suite)).returncode == 0
    # the server is gone now: judging cannot reach it
    suite.write_text(suite.read_text().replace("attempts: 8", "attempts: 2"))
    res = cli("judge", str(suite))
    assert res.returncode == 3, res.stderr
    assert "Cannot reach" in res.stderr and "Traceback" not in res.stderr
    store = tmp_path / ".judgebench" / "store.sqlite"
    assert sum(1 for s, _ in _rows(store, "responses").values() if s == "ok") == 3 * N_PROMPTS


def test_sigkill_mid_run_then_rerun_completes_with_nothing_lost(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.15) as srv:
        suite = write_suite(tmp_path, srv.base_url)
        store = tmp_path / ".judgebench" / "store.sqlite"
        proc = subprocess.Popen([sys.executable, "-m", "judgebench", "run", str(suite)], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until some, not all, responses are stored
            if store.exists():
                try:
                    if len(_rows(store, "responses")) >= 3:
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = _rows(store, "responses")
        assert before, "the kill came before anything was stored"
        res = cli("run", str(suite))
        assert res.returncode == 0, res.stderr
        after_r, after_j = _rows(store, "responses"), _rows(store, "judgments")
        for key, row in before.items():
            if row[0] == "ok":
                assert after_r[key] == row, "a completed response changed or was lost"
        assert len(after_r) == 3 * N_PROMPTS and len(after_j) == N_MODELS_JUDGED * N_PROMPTS * 2
        with sqlite3.connect(store) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
