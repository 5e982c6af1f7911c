"""vLLM's OpenAI-compatible server as a managed subprocess, and a pool that shares servers.

Why a subprocess and not ``vllm.LLM`` in-process: the server batches requests from any client
exactly like the offline engine (measured at 0.94 of its throughput), keeps torch and CUDA out of
judgebench's process (importing this package never imports vllm or torch), and can be killed as a
unit. One module per concern: ``command`` (install check, argv, served name, port), ``environment``
(the child's env, secrets), ``logs``, ``health``, ``process`` (group stop, watchdog),
``exit_handlers`` (atexit/SIGTERM safety net), ``server`` (one server), ``pool`` (shared servers).
"""

from __future__ import annotations

from judgebench.backends.vllm_server.command import (
    INSTALL_HINT,
    LOOPBACK,
    build_command,
    require_vllm,
    reserve_port,
    served_name_for,
)
from judgebench.backends.vllm_server.environment import DEFAULT_ENV, scrub, secret_values, server_env
from judgebench.backends.vllm_server.exit_handlers import install_exit_handlers, stop_all
from judgebench.backends.vllm_server.pool import ServerPool
from judgebench.backends.vllm_server.process import STOP_GRACE, stop_group
from judgebench.backends.vllm_server.server import VLLMServer

__all__ = [
    "DEFAULT_ENV",
    "INSTALL_HINT",
    "LOOPBACK",
    "STOP_GRACE",
    "ServerPool",
    "VLLMServer",
    "build_command",
    "install_exit_handlers",
    "require_vllm",
    "reserve_port",
    "scrub",
    "secret_values",
    "served_name_for",
    "server_env",
    "stop_all",
    "stop_group",
]
