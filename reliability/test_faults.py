"""Faults at the endpoint: 30% of requests fail (429 + Retry-After, 500, hangs, non-JSON bodies)."""

from __future__ import annotations

import json
from pathlib import Path

from judgebench.testing.openai_server import FakeOpenAIServer, Faults
from reliability.helpers import REPO, board, cli, count, integrity, plan, write_suite

RESULTS = REPO / "test-artifacts" / "reliability"


def test_thirty_percent_faults_give_the_clean_leaderboard(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.002) as srv:
        clean_suite = write_suite(tmp_path / "clean", srv.base_url, n_prompts=12, timeout=1.0)
        clean = cli("run", str(clean_suite), "--out", str(tmp_path / "clean" / "lb"), cwd=tmp_path)
        assert clean.returncode == 0, clean.stderr
        clean_requests = srv.counters.requests
    expected = plan(clean_suite)
    assert clean_requests == expected.requests

    faults = Faults(rate=0.3, seed=11, kinds=("429", "500", "timeout", "nonjson"), retry_after=0.05,
                    hang_seconds=1.5, max_per_request=2)
    with FakeOpenAIServer(latency=0.002, faults=faults) as srv:
        faulty_suite = write_suite(tmp_path / "faulty", srv.base_url, n_prompts=12, timeout=1.0)
        faulty = cli("run", str(faulty_suite), "--out", str(tmp_path / "faulty" / "lb"), cwd=tmp_path)
        assert faulty.returncode == 0, faulty.stderr
        injected = srv.counters.faults
        sent = srv.counters.requests

    # The faults really happened, of every kind, at about the rate asked for.
    assert set(injected) == {"429", "500", "timeout", "nonjson"}, injected
    assert sum(injected.values()) >= 0.15 * sent, (injected, sent)
    # Every fault was retried, nothing else was re-sent.
    assert sent == clean_requests + sum(injected.values())

    store = tmp_path / "faulty" / ".judgebench" / "store.sqlite"
    assert integrity(store) == "ok"
    assert count(store, "responses") == expected.responses
    assert count(store, "judgments") == expected.judgments
    assert board(tmp_path / "faulty" / "lb") == board(tmp_path / "clean" / "lb")
    assert "Traceback" not in faulty.stderr
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "faults.json").write_text(json.dumps(
        {"clean_requests": clean_requests, "faulty_requests": sent, "faults": dict(injected),
         "responses": expected.responses, "judgments": expected.judgments}, indent=1) + "\n")
