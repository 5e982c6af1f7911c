"""Judge throughput: judgebench's judge stage versus a bare ``AsyncOpenAI`` loop, same server, same run.

A loopback OpenAI-compatible server (``judgebench.testing.openai_server`` in its own process, so
client and server do not share a GIL) answers every request after a fixed latency (200 ms). The
suite has N/2 prompts, one model and one reference, both judge orders: N judgments. Responses are
pre-stored (through the store's public API), then:

1. bare: ``AsyncOpenAI`` with an ``asyncio.Semaphore(concurrency)`` sends the N judge requests
   (the same rendered prompts, the same JSON-schema ``response_format``) and parses each verdict;
2. judgebench: ``pipeline.run(..., ("judge",))`` on a fresh copy of the store -- planning, keys,
   rendering, the engine, the retry policy, parsing and one committed store row per verdict --
   timed end to end;
   1 and 2 alternate ``--repeats`` times (a shared machine drifts); each pair gives a ratio, and
   the median ratio is the result;
3. the fully cached rerun: the same judge stage in-process (zero requests), and the whole
   ``judgebench judge`` CLI as a subprocess (interpreter start-up included).

Targets: judgebench / bare >= 0.9; cached rerun < 3 s. The bound is concurrency / latency.

    .venv/bin/python benchmarks/judge_throughput.py [--judgments 2000] [--latency 0.2] [--concurrency 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KEY_ENV = "JB_BENCH_KEY"


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "judgebench.testing.openai_server", "--latency", str(latency)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def write_suite(folder: Path, base_url: str, n_prompts: int, concurrency: int) -> Path:
    rows = [{"id": f"q{i}", "prompt": f"Question {i}: explain topic {i} in two sentences."} for i in range(n_prompts)]
    (folder / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    endpoint = {"provider": "openai", "base_url": base_url, "api_key_env": KEY_ENV}
    suite = {
        "name": "throughput",
        "prompts": "prompts.jsonl",
        "models": [endpoint | {"name": "cand", "model": "cand"}, endpoint | {"name": "ref", "model": "ref"}],
        "reference": "ref",
        "judge": endpoint | {"model": "judge", "concurrency": concurrency, "orders": "both"},
        "canaries": {"enabled": False},
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=1))
    return path


def prestore(prepared: Any, store_path: Path) -> None:
    from judgebench import plan
    from judgebench.store import Store

    rows = [{"key": p.key, "text": f"{p.model} answers {p.prompt_id}: " + "lorem ipsum dolor " * (8 + len(p.model)),
             "info": {"model": p.model, "prompt_id": p.prompt_id}}
            for p in plan.responses(prepared.suite, prepared.prompts)]
    with Store(store_path) as store:
        store.put_responses_bulk(rows)


def judge_texts(prepared: Any, store_path: Path) -> list[str]:
    """The exact prompts judgebench sends (rendered once, outside any timing)."""
    from judgebench import judge, plan
    from judgebench.store import Store

    prompts = {p.id: p for p in prepared.prompts}
    planned = list(plan.judgments(prepared.suite, prepared.prompts, prepared.rubric))
    with Store(store_path) as store:
        rows = store.responses({k for p in planned for k in (p.model_response, p.reference_response) if k})
    out = []
    for p in planned:
        assert p.reference_response is not None
        a, b = (p.model_response, p.reference_response) if p.order == "AB" else (p.reference_response, p.model_response)
        out.append(judge.render_for(prepared.rubric, prompts[p.prompt_id], (rows[a].text or "", [rows[a].text or ""]),
                                    (rows[b].text or "", [rows[b].text or ""])))
    return out


async def bare_loop(base_url: str, texts: list[str], schema: dict[str, Any], concurrency: int) -> float:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=60)
    sem = asyncio.Semaphore(concurrency)
    verdicts: list[str] = []

    async def one(text: str) -> None:
        async with sem:
            r = await client.chat.completions.create(
                model="judge", messages=[{"role": "user", "content": text}], max_tokens=1024, temperature=0.0,
                response_format={"type": "json_schema",
                                 "json_schema": {"name": "verdict", "schema": schema, "strict": True}})
            verdicts.append(json.loads(r.choices[0].message.content or "{}")["verdict"])

    t0 = time.perf_counter()
    await asyncio.gather(*(one(t) for t in texts))
    elapsed = time.perf_counter() - t0
    await client.close()
    assert len(verdicts) == len(texts)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--judgments", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from judgebench import pipeline
    from judgebench.store import Store

    env = dict(os.environ) | {KEY_ENV: "bench"}
    server, base_url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            suite = write_suite(folder, base_url, args.judgments // 2, args.concurrency)
            prepared = pipeline.prepare(suite, env)
            fresh = folder / "fresh.sqlite"
            prestore(prepared, fresh)
            texts = judge_texts(prepared, fresh)
            schema = prepared.rubric.protocol.schema()
            n = len(texts)
            assert n == args.judgments

            pairs: list[tuple[float, float]] = []
            for i in range(args.repeats):
                bare = asyncio.run(bare_loop(base_url, texts, schema, args.concurrency))
                store_path = folder / f"store{i}.sqlite"
                shutil.copy(fresh, store_path)
                options = pipeline.RunOptions(store=store_path, leaderboards=folder / "lb", env=env)
                t0 = time.perf_counter()
                result = pipeline.run(prepared, options, ("judge",))
                jb = time.perf_counter() - t0
                assert result.requests_sent == n, result.requests_sent
                pairs.append((bare, jb))

            t0 = time.perf_counter()
            cached = pipeline.run(prepared, options, ("judge",))
            cached_inproc = time.perf_counter() - t0
            assert cached.requests_sent == 0
            t0 = time.perf_counter()
            cli = subprocess.run([sys.executable, "-m", "judgebench", "judge", str(suite), "--store", str(store_path)],
                                 env=env, capture_output=True, text=True)
            cached_cli = time.perf_counter() - t0
            assert cli.returncode == 0, cli.stderr
            with Store(store_path) as s:
                stored = s.counts().get("judgments.ok", 0)
            assert stored == n, stored
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait()

    bound = args.concurrency / args.latency
    print(f"judgments: {n}, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}; "
          f"bound {bound:.0f}/s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for i, (bare, jb) in enumerate(pairs, 1):
        print(f"pair {i}: bare AsyncOpenAI loop {n / bare:6.1f}/s ({n / bare / bound:.2f} of the bound) | "
              f"judgebench judge stage {n / jb:6.1f}/s ({n / jb / bound:.2f}) | ratio {bare / jb:.3f}")
    ratios = sorted(bare / jb for bare, jb in pairs)
    print(f"bare loop (median):        {statistics.median(n / b for b, _ in pairs):7.1f} judgments/s")
    print(f"judgebench (median):       {statistics.median(n / j for _, j in pairs):7.1f} judgments/s")
    print(f"ratio judgebench / bare:   {statistics.median(ratios):7.3f}   median of {len(ratios)} "
          f"(range {ratios[0]:.3f}-{ratios[-1]:.3f}; target >= 0.9)")
    print(f"cached rerun, in-process: {cached_inproc:7.3f} s (0 requests)")
    print(f"cached rerun, CLI process:{cached_cli:7.3f} s (target < 3 s)")


if __name__ == "__main__":
    main()
