"""Replica throughput: the judge stage against one replica versus two, side by side in one run.

Each replica is a loopback OpenAI-compatible server (``judgebench.testing.openai_server``, in its
own process) made latency-bound like a GPU server with a full batch: it works on at most
``--capacity`` requests at a time, each taking ``--latency`` seconds, so one replica tops out at
capacity / latency requests/s whatever the client sends. The suite has N/2 prompts, one model and
one reference, both judge orders: N judgments; responses are pre-stored, then the judge stage runs
on a fresh copy of the store with

1. one replica: ``judge.base_url: A``, ``concurrency`` = 2 x capacity (the replica is saturated);
2. two replicas: ``judge.base_urls: [A, B]``, the same ``concurrency`` per replica;

alternating ``--repeats`` times; each pair gives a ratio (two / one) and the median is the result.
Both runs write the same content keys (the first URL names the judge). Target: ratio >= 1.8.
The defaults keep the two replicas' bound (32/s) far below what the client process itself can
drive on a small machine (~250 judgments/s on 2 shared cores), so the servers, not the client,
set the pace; with a bound near the client's own limit the ratio measures the client instead.

    .venv/bin/python benchmarks/replica_throughput.py [--judgments 400] [--latency 0.5] [--capacity 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_throughput import KEY_ENV, prestore  # noqa: E402


def serve(latency: float, capacity: int) -> None:
    """The replica process: the loopback server with at most ``capacity`` requests worked on at once."""
    from judgebench.testing.openai_server import FakeOpenAIServer

    class Bounded(FakeOpenAIServer):
        _slots: asyncio.Semaphore | None = None

        async def _route(self, method: str, path: str, body: bytes,
                         headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
            if not path.rstrip("/").endswith("/chat/completions"):
                return await super()._route(method, path, body, headers)
            if self._slots is None:
                self._slots = asyncio.Semaphore(capacity)
            async with self._slots:
                return await super()._route(method, path, body, headers)

    with Bounded(latency=latency) as srv:
        print(srv.base_url, flush=True)
        sys.stdin.read()
        print(json.dumps({"requests": srv.counters.requests, "max_in_flight": srv.counters.max_in_flight}), flush=True)


def start_replica(latency: float, capacity: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--latency", str(latency), "--capacity", str(capacity)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def stop_replica(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    counts = json.loads(proc.stdout.readline() or "{}")
    proc.wait(30)
    return counts


def write_suite(folder: Path, judge_urls: list[str], n_prompts: int, concurrency: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"q{i}", "prompt": f"Question {i}: explain topic {i} in two sentences."} for i in range(n_prompts)]
    (folder / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    endpoint = {"provider": "openai", "base_url": judge_urls[0], "api_key_env": KEY_ENV}
    judge: dict[str, Any] = {"provider": "openai", "api_key_env": KEY_ENV, "model": "judge",
                             "concurrency": concurrency, "orders": "both"}
    judge |= {"base_urls": judge_urls} if len(judge_urls) > 1 else {"base_url": judge_urls[0]}
    suite = {"name": "replicas", "prompts": "prompts.jsonl",
             "models": [endpoint | {"name": "cand", "model": "cand"}, endpoint | {"name": "ref", "model": "ref"}],
             "reference": "ref", "judge": judge, "canaries": {"enabled": False}}
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=1))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judgments", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--capacity", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency, args.capacity)
        return

    from judgebench import pipeline
    from judgebench.store import Store

    env = dict(os.environ) | {KEY_ENV: "bench"}
    concurrency = 2 * args.capacity
    (pa, a), (pb, b) = start_replica(args.latency, args.capacity), start_replica(args.latency, args.capacity)
    pairs: list[tuple[float, float]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            one = pipeline.prepare(write_suite(folder / "one", [a], args.judgments // 2, concurrency), env)
            two = pipeline.prepare(write_suite(folder / "two", [a, b], args.judgments // 2, concurrency), env)
            fresh = folder / "fresh.sqlite"
            prestore(one, fresh)
            n = args.judgments // 2 * 2
            keys: list[set[str]] = []
            for i in range(args.repeats):
                times = []
                for label, prepared in (("one", one), ("two", two)):
                    store_path = folder / f"{label}{i}.sqlite"
                    shutil.copy(fresh, store_path)
                    options = pipeline.RunOptions(store=store_path, leaderboards=folder / "lb", env=env)
                    t0 = time.perf_counter()
                    result = pipeline.run(prepared, options, ("judge",))
                    times.append(time.perf_counter() - t0)
                    assert result.requests_sent == n and result.errors == 0, (result.requests_sent, result.errors)
                    with Store(store_path) as s:
                        assert s.counts().get("judgments.ok", 0) == n
                    with sqlite3.connect(store_path) as db:
                        keys.append({r[0] for r in db.execute("SELECT key FROM judgments")})
                pairs.append((times[0], times[1]))
            assert all(k == keys[0] for k in keys), "one replica and two write the same content keys"
    finally:
        counts = [stop_replica(pa), stop_replica(pb)]

    bound = args.capacity / args.latency
    print(f"judgments: {n}; each replica: capacity {args.capacity} at {args.latency * 1000:.0f} ms "
          f"(bound {bound:.0f}/s); judge concurrency {concurrency} per replica")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for i, (t1, t2) in enumerate(pairs, 1):
        print(f"pair {i}: one replica {n / t1:6.1f}/s ({n / t1 / bound:.2f} of its bound) | "
              f"two replicas {n / t2:6.1f}/s ({n / t2 / bound / 2:.2f} of theirs) | ratio {t1 / t2:.3f}")
    ratios = sorted(t1 / t2 for t1, t2 in pairs)
    print(f"requests per replica: A {counts[0].get('requests')}, B {counts[1].get('requests')} "
          f"(max in flight {counts[0].get('max_in_flight')}, {counts[1].get('max_in_flight')})")
    print(f"ratio two / one replicas:  {statistics.median(ratios):.3f}   median of {len(ratios)} "
          f"(range {ratios[0]:.3f}-{ratios[-1]:.3f}; target >= 1.8)")


if __name__ == "__main__":
    main()
