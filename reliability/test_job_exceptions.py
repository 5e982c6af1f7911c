"""Any exception while handling one job becomes that job's error row; the other jobs go on.

The HTTP backend normalises what it reads (see test_hostile_endpoint.py), so to reach the
engine's own per-job boundary this test uses the one unit seam, a backend that hands completions
straight to the real generation jobs and the real SQLite store: a lone surrogate the store cannot
encode, a token count SQLite cannot hold, a text that is not a string.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from judgebench import generate, plan
from judgebench.backends.fake import FakeBackend
from judgebench.config import RetrySpec, Suite
from judgebench.engine import Budget, Endpoint, NullProgress, execute
from judgebench.records import Completion, CompletionRequest, Prompt, Usage
from judgebench.store import Store

BAD = {
    "p-surrogate": Completion(text="half \ud800 a pair"),
    "p-huge-usage": Completion(text="fine", usage=Usage(10**30, 5)),
    "p-not-text": Completion(text=["a", "list"]),  # type: ignore[arg-type]
}


def _answer(request: CompletionRequest) -> Completion:
    for pid, completion in BAD.items():
        if pid in request.messages[-1].content:
            return completion
    return Completion(text="a good answer", usage=Usage(3, 3))


def test_a_job_that_raises_while_storing_becomes_an_error_row(tmp_path: Path) -> None:
    suite = Suite.model_validate({
        "name": "seam", "prompts": str(tmp_path / "p.jsonl"), "reference": "m",
        "models": [{"name": "m", "model": "m", "base_url": "http://127.0.0.1:9/v1"}],
    })
    prompts = [Prompt(id=pid, turns=(f"question {pid}",)) for pid in [*BAD, "p-good-1", "p-good-2"]]
    store = Store(tmp_path / "store.sqlite")
    planned = list(plan.responses(suite, prompts))
    jobs = generate.jobs(store, suite, {p.id: p for p in prompts}, suite.model("m"), "m", "fake")
    stats = asyncio.run(execute({"fake": jobs}, {"fake": Endpoint(FakeBackend(_answer), concurrency=2)},
                                retry=RetrySpec(attempts=1), budget=Budget(), progress=NullProgress(),
                                stage="generate"))
    assert stats.done == len(prompts) and stats.errors == len(BAD)
    rows = store.responses(p.key for p in planned)
    by_prompt = {r.info["prompt_id"]: r for r in rows.values()}
    assert {pid for pid, r in by_prompt.items() if r.status == "ok"} == {"p-good-1", "p-good-2"}
    for pid in BAD:
        assert by_prompt[pid].status == "error", pid
        assert "could not be handled" in (by_prompt[pid].error or ""), by_prompt[pid].error
    store.close()
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
