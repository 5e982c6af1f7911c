"""The vLLM servers judgebench starts bind 127.0.0.1 only, whatever the suite says."""

from __future__ import annotations

import itertools

import pytest

from judgebench.config import ServerOptions
from judgebench.errors import ServerError

vllm_server = pytest.importorskip("judgebench.backends.vllm_server", reason="vLLM server lifecycle not built yet")

OPTIONS = [
    ServerOptions(),
    ServerOptions(dtype="bfloat16", max_model_len=2048, tensor_parallel_size=2, gpu_memory_utilization=0.5,
                  max_lora_rank=16, enforce_eager=False, extra_args=["--seed", "1"]),
    ServerOptions(extra_args=["--api-key", "x", "--uvicorn-log-level", "warning"]),
]


@pytest.mark.parametrize(("options", "lora"), list(itertools.product(OPTIONS, [{}, {"ad": "/tmp/adapter"}])))
def test_command_binds_loopback_only(options: ServerOptions, lora: dict[str, str]) -> None:
    cmd = vllm_server.build_command("python", "/models/m", "m", 8123, options, lora)
    joined = " ".join(cmd)
    assert "0.0.0.0" not in joined and "::" not in cmd
    hosts = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--host"]
    assert hosts == ["127.0.0.1"]
    assert not any(a.startswith("--host=") for a in cmd)


@pytest.mark.parametrize("extra", [["--host", "0.0.0.0"], ["--host=0.0.0.0"], ["--host", "::"]])
def test_extra_args_cannot_rebind(extra: list[str]) -> None:
    with pytest.raises(ServerError):
        vllm_server.build_command("python", "/models/m", "m", 8123, ServerOptions(extra_args=extra), {})
