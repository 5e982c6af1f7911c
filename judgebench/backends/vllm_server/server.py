"""One vLLM OpenAI-compatible server as a managed subprocess: launch, wait for health, stop.

Each server gets its own process group (``process_group=0``) so ``stop()`` reaches vLLM's
engine-core children too, binds 127.0.0.1 only, and is stopped on exit, on errors, on Ctrl-C, on
SIGTERM and -- through a watchdog in its group -- when judgebench itself is killed.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from judgebench.backends.vllm_server import logs
from judgebench.backends.vllm_server.command import LOOPBACK, build_command, reserve_port
from judgebench.backends.vllm_server.environment import scrub, secret_values, server_env
from judgebench.backends.vllm_server.exit_handlers import LIVE, install_exit_handlers
from judgebench.backends.vllm_server.health import wait_healthy
from judgebench.backends.vllm_server.process import STOP_GRACE, start_watchdog, stop_group
from judgebench.config import ServerOptions
from judgebench.errors import ServerError


class _PortTaken(Exception):
    pass


class VLLMServer:
    """One vLLM OpenAI-compatible server. Use as a context manager, or ``start()`` then ``stop()``.

    ``stop()`` may be called from any thread (or a signal handler) at any time, also while another
    thread is inside ``start()``: that start then fails with ServerError.
    """

    def __init__(
        self,
        checkpoint: str,
        served_name: str,
        options: ServerOptions,
        log_path: Path,
        *,
        lora_modules: Mapping[str, str] | None = None,
        python: str = sys.executable,
        label: str | None = None,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        self.checkpoint = checkpoint
        self.served_name = served_name
        self.options = options
        self.log_path = Path(log_path)
        self.lora_modules = dict(lora_modules or {})
        self.python = python
        self.label = label or served_name
        self.stop_grace = stop_grace
        self.port: int | None = None
        self.command: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._closed = False  # stop() was called; final
        self._lifeline: int | None = None  # write end of the watchdog's pipe
        self._flags = threading.Lock()  # guards _proc/_closed, never held while waiting
        self._stopping = threading.RLock()  # serialises stop(); re-entrant for signal handlers
        self._env = server_env(options)
        self._secrets = secret_values({**os.environ, **options.env}, options.extra_args)

    # -- public -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{LOOPBACK}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """Also the process-group id (the server leads its own group)."""
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and not self._closed and self._proc.poll() is None

    def start(self) -> VLLMServer:
        """Launch and block until ``/health`` answers 200; on failure stop and raise ServerError."""
        if self._proc is not None or self._closed:
            raise RuntimeError("VLLMServer.start() is called once; make a new server to restart")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        install_exit_handlers()
        LIVE.add(self)
        deadline = time.monotonic() + self.options.startup_timeout
        try:
            for _attempt in range(3):
                self._launch()
                try:
                    self._wait_healthy(deadline)
                    return self
                except _PortTaken:
                    assert self._proc is not None
                    stop_group(self._proc, self.stop_grace)
            raise self._failure("could not bind a free port on 127.0.0.1 (three tries)")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the whole process group: SIGTERM, wait, SIGKILL. Idempotent."""
        with self._stopping:
            with self._flags:
                already, self._closed = self._closed, True
                proc = self._proc
            LIVE.discard(self)
            if already or proc is None:
                return
            stop_group(proc, self.stop_grace)
            self._close_lifeline()
            self._scrub_log()

    def tail(self, n: int = 20) -> str:
        """The last ``n`` lines of the server log, secrets scrubbed."""
        return logs.tail(self.log_path, n, self._secrets)

    def shown_command(self) -> str:
        """The launch command as shown to users (secrets scrubbed)."""
        return scrub(shlex.join(self.command), self._secrets)

    def __enter__(self) -> VLLMServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------------------
    def _launch(self) -> None:
        with self._flags:
            if self._closed:
                raise ServerError(f"The vLLM server for {self.label} was stopped while starting.", None)
            self.port = reserve_port()
            self.command = build_command(
                self.python, self.checkpoint, self.served_name, self.port, self.options, self.lora_modules
            )
            with open(self.log_path, "ab") as log:
                log.write(f"$ {self.shown_command()}\n".encode())
                log.flush()
                self._proc = subprocess.Popen(
                    self.command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self._env,
                    # A new process group in our session (not a new session: a watchdog may only
                    # join a group of its own session). Terminal Ctrl-C still does not reach it,
                    # since it is not the foreground group; we stop it ourselves.
                    process_group=0,
                )
            self._start_watchdog(self._proc.pid)

    def _start_watchdog(self, pgid: int) -> None:
        self._close_lifeline()
        self._lifeline = start_watchdog(pgid, self.stop_grace)

    def _close_lifeline(self) -> None:
        fd, self._lifeline = self._lifeline, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _wait_healthy(self, deadline: float) -> None:
        assert self._proc is not None
        outcome = wait_healthy(self._proc, f"http://{LOOPBACK}:{self.port}/health", deadline, lambda: self._closed)
        if outcome == "stopped":
            raise ServerError(f"The vLLM server for {self.label} was stopped while starting.", None)
        if outcome == "exited":
            if "address already in use" in self.tail(40).lower():
                raise _PortTaken
            raise self._failure(f"exited with code {self._proc.poll()} before becoming healthy")
        if outcome == "timeout":
            raise self._failure(f"did not become healthy within {self.options.startup_timeout:g} s")

    def _failure(self, what: str) -> ServerError:
        return ServerError(
            f"The vLLM server for {self.label} {what}.\nCommand: {self.shown_command()}\n"
            f"Log: {self.log_path}\nLast lines of the log:\n{self.tail(20)}",
            "Read the log above; common causes: a wrong checkpoint path, too little memory "
            "(lower max_model_len or gpu_memory_utilization), or vLLM not installed in this Python.",
        )

    def _scrub_log(self) -> None:
        logs.scrub_file(self.log_path, self._secrets)
