"""The real vLLM CPU server on the embedded SmolLM2 (one server for the whole module).

Needs the CPU build of vLLM (`make test` installs it). Skipped only when vLLM is not importable.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from judgebench.backends.vllm_server import ServerPool, VLLMServer
from judgebench.config import JudgeSpec, ModelSpec, ServerOptions

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.skipif(
        importlib.util.find_spec("vllm") is None,
        reason="vLLM is not installed (`make test` installs the CPU build: scripts/setup.sh)",
    ),
]

BUILTIN = "builtin:smollm2-135m-instruct"
OPTIONS = ServerOptions(max_model_len=2048)
MODEL = ModelSpec(name="smol", provider="vllm", model=BUILTIN, server=OPTIONS)
JUDGE = JudgeSpec(provider="vllm", model=BUILTIN, server=OPTIONS)


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    with ServerPool([MODEL, JUDGE], tmp_path_factory.mktemp("vllm-logs")) as p:
        yield p


@pytest.fixture(scope="module")
def server(pool: ServerPool) -> VLLMServer:
    pool.endpoint(MODEL)
    s = pool.server(MODEL)
    assert s is not None
    return s


def test_model_and_judge_share_one_server(pool: ServerPool, server: VLLMServer) -> None:
    assert pool.endpoint(MODEL) == pool.endpoint(JUDGE) == (server.base_url, "smollm2-135m-instruct")
    assert len(pool.groups) == 1


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
