"""Generation overhead: `judgebench generate` output tok/s versus raw vLLM offline `LLM.chat`.

Same checkpoint (the embedded SmolLM2 unless --model), the same prompts (>= 128), the same sampling
params (greedy, ``max_tokens``, ``ignore_eos`` so both sides generate exactly the same number of
tokens), measured in one run, one engine at a time:

1. offline: a subprocess builds ``vllm.LLM`` (spawn needs a fresh ``__main__``), warms up on two
   prompts, then times one ``LLM.chat`` over all prompts;
2. judgebench: the vLLM server judgebench itself starts (VLLMServer, the same command as
   ``provider: vllm``), warmed up with one request, then the whole ``judgebench generate`` CLI
   process is timed (start-up, store writes and all) against it. Output tokens are read from the
   server's own ``vllm:generation_tokens_total`` counter, not from judgebench's bookkeeping.

Engine/server start-up is excluded on both sides (it is paid once per run, not per token).
Target: ratio >= 0.9.

    .venv/bin/python benchmarks/generation_overhead.py [--prompts 128] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

SERVED = "bench-model"
TOPICS = [
    "photosynthesis",
    "the water cycle",
    "black holes",
    "compound interest",
    "the French Revolution",
    "vaccines",
    "plate tectonics",
    "recursion in programming",
    "the stock market",
    "climate change",
    "the human heart",
    "electric cars",
    "the printing press",
    "honeybees",
    "volcanoes",
    "the internet",
    "coral reefs",
    "inflation",
    "the Roman Empire",
    "sleep",
    "solar panels",
    "DNA",
    "the moon landing",
    "rainbows",
    "antibiotics",
    "chess openings",
    "jazz music",
    "the Great Wall of China",
    "tea",
    "earthquakes",
    "machine learning",
    "bread baking",
]
TEMPLATES = [
    "Explain {} to a twelve-year-old.",
    "Write a short blog post introduction about {}.",
    "List five surprising facts about {}.",
    "What are the main arguments for and against studying {} at school?",
]


def make_prompts(n: int) -> list[str]:
    prompts = [t.format(topic) for t in TEMPLATES for topic in TOPICS]
    while len(prompts) < n:
        prompts += [f"{p} (Variant {len(prompts) // len(TOPICS)}.)" for p in prompts[: n - len(prompts)]]
    return prompts[:n]


# -- 1. offline engine (runs in a subprocess: `python generation_overhead.py _offline ...`) ---------
def offline(checkpoint: str, prompts_file: str, max_tokens: int) -> dict[str, float]:
    from vllm import LLM, SamplingParams

    prompts = json.loads(Path(prompts_file).read_text())
    t0 = time.perf_counter()
    llm = LLM(model=checkpoint, max_model_len=2048, enforce_eager=True)
    init = time.perf_counter() - t0
    params = SamplingParams(temperature=0.0, max_tokens=max_tokens, ignore_eos=True)
    conversations: list[Any] = [[{"role": "user", "content": p}] for p in prompts]
    llm.chat(conversations[:2], params, use_tqdm=False)  # warm-up, like the server's first request
    t0 = time.perf_counter()
    outputs = llm.chat(conversations, params, use_tqdm=False)
    seconds = time.perf_counter() - t0
    tokens = sum(len(o.outputs[0].token_ids) for o in outputs)
    return {"tokens": tokens, "seconds": seconds, "init_seconds": init}


def run_offline(checkpoint: str, prompts_file: Path, max_tokens: int) -> dict[str, float]:
    from judgebench.backends.vllm_server import server_env
    from judgebench.config import ServerOptions

    # The server's environment (VLLM_CPU_KVCACHE_SPACE=2 etc.): both engines get the same KV cache.
    env = server_env(ServerOptions())
    cmd = [sys.executable, __file__, "_offline", checkpoint, str(prompts_file), str(max_tokens)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        sys.exit(f"offline engine failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in reversed(proc.stdout.splitlines()) if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


# -- 2. judgebench generate against the server judgebench starts -----------------------------------
def generation_tokens(base_url: str) -> float:
    """The server's cumulative output-token counter (Prometheus text format)."""
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/metrics", timeout=30) as r:
        text = r.read().decode()
    values = re.findall(r"^vllm:generation_tokens_total(?:\{[^}]*\})? ([0-9.e+]+)$", text, re.MULTILINE)
    if not values:
        sys.exit("the server's /metrics has no vllm:generation_tokens_total")
    return sum(float(v) for v in values)


def write_suite(folder: Path, prompts: list[str], base_url: str, max_tokens: int, concurrency: int) -> Path:
    with open(folder / "prompts.jsonl", "w") as fh:
        for i, p in enumerate(prompts):
            fh.write(json.dumps({"id": f"p{i:04d}", "prompt": p}) + "\n")
    suite = {
        "name": "generation-overhead",
        "prompts": "prompts.jsonl",
        "generation": {"max_tokens": max_tokens, "temperature": 0.0, "extra_body": {"ignore_eos": True}},
        "models": [
            {
                "name": "m",
                "provider": "openai",
                "model": SERVED,
                "base_url": base_url,
                "concurrency": concurrency,
            }
        ],
        "reference": "m",
        "judge": {"provider": "openai", "model": SERVED, "base_url": base_url},
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2))  # JSON is YAML
    return path


def run_judgebench(
    checkpoint: str, prompts: list[str], max_tokens: int, concurrency: int, folder: Path
) -> dict[str, Any]:
    from judgebench.backends.vllm_server import VLLMServer
    from judgebench.config import ServerOptions

    t0 = time.perf_counter()
    with VLLMServer(checkpoint, SERVED, ServerOptions(max_model_len=2048), folder / "server.log") as server:
        init = time.perf_counter() - t0
        body = {"model": SERVED, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 8}
        req = urllib.request.Request(
            server.base_url + "/chat/completions",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=600).read()  # warm-up
        raw = run_raw_client(server.base_url, prompts, max_tokens, concurrency)
        suite = write_suite(folder, prompts, server.base_url, max_tokens, concurrency)
        before = generation_tokens(server.base_url)
        cmd = [
            sys.executable,
            "-m",
            "judgebench",
            "generate",
            str(suite),
            "--store",
            str(folder / "store.sqlite"),
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        tokens = generation_tokens(server.base_url) - before
    if proc.returncode != 0:
        sys.exit(
            f"judgebench generate failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "judgebench", "--version"], capture_output=True, check=True)
    cli_startup = time.perf_counter() - t0
    return {
        "tokens": tokens,
        "seconds": seconds,
        "init_seconds": init,
        "cli_startup": cli_startup,
        "raw": raw,
    }


def run_raw_client(base_url: str, prompts: list[str], max_tokens: int, concurrency: int) -> dict[str, float]:
    """The same requests from a bare AsyncOpenAI client: what the server alone can do."""
    import asyncio

    from openai import AsyncOpenAI

    async def go() -> float:
        sem = asyncio.Semaphore(concurrency)
        async with AsyncOpenAI(base_url=base_url, api_key="unused", timeout=600) as client:

            async def one(p: str) -> int:
                async with sem:
                    r = await client.chat.completions.create(
                        model=SERVED,
                        messages=[{"role": "user", "content": p}],
                        max_tokens=max_tokens,
                        temperature=0.0,
                        extra_body={"ignore_eos": True},
                    )
                    return r.usage.completion_tokens if r.usage else 0

            return float(sum(await asyncio.gather(*(one(p) for p in prompts))))

    t0 = time.perf_counter()
    tokens = asyncio.run(go())
    return {"tokens": tokens, "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model", default="builtin:smollm2-135m-instruct", help="checkpoint folder or builtin:NAME"
    )
    ap.add_argument("--prompts", type=int, default=128)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--concurrency", type=int, default=128, help="judgebench's in-flight requests")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    if args.prompts < 128:
        ap.error("--prompts must be at least 128")

    from judgebench.builtin import resolve_checkpoint

    checkpoint = resolve_checkpoint(args.model)
    prompts = make_prompts(args.prompts)
    with tempfile.TemporaryDirectory(prefix="jb-genbench-") as tmp:
        folder = Path(tmp)
        prompts_file = folder / "prompts.json"
        prompts_file.write_text(json.dumps(prompts))
        off = run_offline(checkpoint, prompts_file, args.max_tokens)
        jb = run_judgebench(checkpoint, prompts, args.max_tokens, args.concurrency, folder)

    off_rate, jb_rate = off["tokens"] / off["seconds"], jb["tokens"] / jb["seconds"]
    ratio = jb_rate / off_rate
    print(f"model: {args.model}  prompts: {args.prompts}  max_tokens: {args.max_tokens} (greedy, ignore_eos)")
    print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"{'':28}{'tokens':>8}{'seconds':>10}{'tok/s':>9}{'start-up s':>12}")
    print(
        f"{'vLLM offline LLM.chat':28}{off['tokens']:8.0f}{off['seconds']:10.2f}{off_rate:9.1f}{off['init_seconds']:12.1f}"
    )
    print(
        f"{'judgebench generate (CLI)':28}{jb['tokens']:8.0f}{jb['seconds']:10.2f}{jb_rate:9.1f}{jb['init_seconds']:12.1f}"
    )
    raw = jb["raw"]
    raw_rate = raw["tokens"] / raw["seconds"]
    print(f"{'(vLLM server, bare client)':28}{raw['tokens']:8.0f}{raw['seconds']:10.2f}{raw_rate:9.1f}")
    print(f"ratio judgebench/offline: {ratio:.3f}  (target >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'})")
    print(
        f"ratio server+bare client/offline: {raw_rate / off_rate:.3f}; judgebench/bare client: {jb_rate / raw_rate:.3f}"
    )
    print(
        f"judgebench CLI start-up (`python -m judgebench --version`): {jb['cli_startup']:.2f} s, included above"
    )
    if args.json:
        args.json.write_text(json.dumps({"offline": off, "judgebench": jb, "ratio": ratio}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_offline":
        print("RESULT " + json.dumps(offline(sys.argv[2], sys.argv[3], int(sys.argv[4]))), flush=True)
    else:
        main()
