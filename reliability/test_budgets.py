"""--max-requests and --max-cost stop a run cleanly (exit 3) without exceeding the budget, as counted
by the server; everything received is stored, and the next run continues to completion."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer
from reliability.helpers import cli, count, integrity, plan, request_equivalents, write_suite

MODEL_PRICES = {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}
JUDGE_PRICES = {"input_per_mtok": 3000.0, "output_per_mtok": 9000.0}


def _store(folder: Path) -> Path:
    return folder / ".judgebench" / "store.sqlite"


def _cost(srv: FakeOpenAIServer) -> float:
    """USD the server billed, by the prices of the model or judge each request named."""
    total = 0.0
    for model, (prompt, completion, _) in srv.counters.usage_by_model.items():
        prices = JUDGE_PRICES if model == "judge" else MODEL_PRICES
        total += (prompt * prices["input_per_mtok"] + completion * prices["output_per_mtok"]) / 1e6
    return total


@pytest.mark.parametrize("max_requests", [1, 5, 9, 22, 41, 57])
def test_max_requests_stops_cleanly_and_the_next_run_completes(tmp_path: Path, max_requests: int) -> None:
    with FakeOpenAIServer(latency=0.01) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=8, concurrency=4)
        expected = plan(suite)
        assert max_requests < expected.requests
        stopped = cli("run", str(suite), "--max-requests", str(max_requests), cwd=tmp_path)
        assert stopped.returncode == 3, stopped.stdout + stopped.stderr
        assert "--max-requests" in stopped.stderr and "Traceback" not in stopped.stderr
        assert srv.counters.requests <= max_requests
        store = _store(tmp_path)
        assert integrity(store) == "ok"
        assert request_equivalents(store) == srv.counters.completions, "an answer received was not stored"

        done = cli("run", str(suite), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert srv.counters.requests == expected.requests, "requests were wasted across the stop"
    assert count(store, "responses") == expected.responses
    assert count(store, "judgments") == expected.judgments


def test_small_request_budgets_chain_to_completion(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.005) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=8, concurrency=4)
        expected = plan(suite)
        runs = 0
        while True:
            before = srv.counters.requests
            res = cli("run", str(suite), "--max-requests", "10", cwd=tmp_path)
            runs += 1
            assert res.returncode in (0, 3), res.stderr
            assert srv.counters.requests - before <= 10
            if res.returncode == 0:
                break
            assert srv.counters.requests > before, "a budget-stopped run made no progress"
        assert srv.counters.requests == expected.requests
    assert runs >= expected.requests // 10
    assert count(_store(tmp_path), "judgments") == expected.judgments


@pytest.mark.parametrize("max_cost", [0.05, 0.4, 2.0, 8.0, 20.0])
def test_max_cost_is_never_exceeded(tmp_path: Path, max_cost: float) -> None:
    with FakeOpenAIServer(latency=0.01) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=8, concurrency=4,
                            model_extra={"prices": MODEL_PRICES},
                            judge_extra={"prices": JUDGE_PRICES, "max_tokens": 64})
        expected = plan(suite)
        stopped = cli("run", str(suite), "--max-cost", str(max_cost), cwd=tmp_path)
        assert stopped.returncode == 3, stopped.stdout + stopped.stderr
        assert "--max-cost" in stopped.stderr
        spent = _cost(srv)
        assert spent <= max_cost, f"spent ${spent:.4f} of a ${max_cost} budget"
        store = _store(tmp_path)
        assert request_equivalents(store) == srv.counters.completions, "an answer received was not stored"
        done = cli("run", str(suite), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert srv.counters.requests == expected.requests
    assert count(store, "judgments") == expected.judgments
