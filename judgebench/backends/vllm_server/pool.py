"""A pool that starts one vLLM server per (checkpoint, server options), lazily, and shares it.

A server may have ``replicas`` (identical servers of one checkpoint, started together) and devices
assigned by the wave planner (:mod:`judgebench.backends.schedule`); :meth:`ServerPool.release`
stops a server once its wave is done, and a released server is never started again in the run.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from judgebench.backends.schedule import DEFAULT_SHARE, ServerNeed
from judgebench.backends.vllm_server.command import require_vllm, served_name_for
from judgebench.backends.vllm_server.server import VLLMServer
from judgebench.config import EndpointSpec, ModelSpec, ServerOptions
from judgebench.errors import ServerError

_VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)


@dataclass
class _Group:
    """One server and the specs it answers for."""

    checkpoint: str  # as written in the suite (may be builtin:...)
    options: ServerOptions
    adapters: dict[str, str] = field(default_factory=dict)  # served name -> adapter dir
    labels: list[str] = field(default_factory=list)
    servers: list[VLLMServer] = field(default_factory=list)  # one per replica once started
    devices: tuple[str | None, ...] = ()  # CUDA_VISIBLE_DEVICES per replica (None: leave as is)
    released: bool = False  # stopped after its wave; never restarted in this run
    failure: ServerError | None = None  # a start that failed is not retried within one run
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def server(self) -> VLLMServer | None:
        return self.servers[0] if self.servers else None

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
        urls, served = self.endpoints(spec)
        return urls[0], served

    def endpoints(self, spec: EndpointSpec) -> tuple[list[str], str]:
        """(base_url of every replica, served model name), starting them on first use (blocks)."""
        group = self._group(spec)
        with group.lock:
            if self._closed:
                raise ServerError("The vLLM server pool is closed.", None)
            if group.failure is not None:
                raise ServerError(group.failure.message, group.failure.hint)
            if group.released:
                raise ServerError(f"The vLLM server for {', '.join(group.labels)} was already stopped after its wave.",
                                  "This is a bug in judgebench's server plan; please report it.")
            if not group.servers:
                try:
                    group.servers = self._start_replicas(group)
                except ServerError as e:
                    group.failure = e
                    raise
            elif not any(s.alive() for s in group.servers):
                raise self._died(group, spec)
            return [s.base_url for s in group.servers], self.served_name(spec)

    # -- waves ----------------------------------------------------------------------------------

    def need(self, spec: EndpointSpec, *, judge_kept: bool = False) -> ServerNeed:
        """What the server of ``spec`` occupies (for :func:`judgebench.backends.schedule.plan_waves`)."""
        group = self._group(spec)
        o = group.options
        return ServerNeed(
            key=self._key_name(group), label=", ".join(group.labels), world_size=o.world_size,
            share=o.gpu_memory_utilization or DEFAULT_SHARE, replicas=o.replicas,
            pinned=tuple(o.gpus) if o.gpus else None,
            exclusive="ray" in (o.distributed_executor_backend, o.data_parallel_backend), judge_kept=judge_kept)

    def assign(self, key: str, cuda_visible_devices: Sequence[str | None]) -> None:
        """Give the server ``key`` (see :meth:`need`) its devices, one entry per replica, before it starts."""
        group = self._by_key(key)
        with group.lock:
            group.devices = tuple(cuda_visible_devices)

    def started(self, spec: EndpointSpec) -> bool:
        return bool(self._group(spec).servers)

    def release(self, key: str) -> None:
        """Stop the server ``key`` (all replicas) after its wave; it is not started again in this run."""
        group = self._by_key(key)
        with group.lock:
            group.released = True
            for server in group.servers:
                server.stop()

    def _key_name(self, group: _Group) -> str:
        return str(list(self._groups.values()).index(group))

    def _by_key(self, key: str) -> _Group:
        return list(self._groups.values())[int(key)]

    def server(self, spec: EndpointSpec) -> VLLMServer | None:
        """The server of ``spec``'s group, or None before its first :meth:`endpoint` call."""
        return self._group(spec).server

    def check(self, spec: EndpointSpec) -> None:
        """Raise ServerError (naming the model and the log) if the server of ``spec`` died (every replica)."""
        group = self._group(spec)
        if group.servers and not group.released and not any(s.alive() for s in group.servers):
            raise self._died(group, spec)

    def close(self) -> None:
        """Stop every server; idempotent."""
        with self._lock:
            self._closed = True
        for group in self._groups.values():
            with group.lock:
                for server in group.servers:
                    server.stop()

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _start_replicas(self, group: _Group) -> list[VLLMServer]:
        """Start every replica (in parallel: each blocks until healthy); on a failure stop them all."""
        if group.options.replicas == 1:
            return [self._start(group, 0)]
        with ThreadPoolExecutor(group.options.replicas) as pool:
            futures = [pool.submit(self._start, group, r) for r in range(group.options.replicas)]
            started, error = [], None
            for f in futures:
                try:
                    started.append(f.result())
                except ServerError as e:
                    error = error or e
        if error is not None:
            for server in started:
                server.stop()
            raise error
        return started

    def _start(self, group: _Group, replica: int = 0) -> VLLMServer:
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
        devices = group.devices[replica] if replica < len(group.devices) else None
        if devices is not None and "CUDA_VISIBLE_DEVICES" not in options.env:
            options = options.model_copy(update={"env": {**options.env, "CUDA_VISIBLE_DEVICES": devices}})
        label = ", ".join(group.labels) + (f" (replica {replica + 1} of {options.replicas})" if options.replicas > 1 else "")
        server = VLLMServer(
            checkpoint,
            group.base_name,
            options,
            self._log_path(group, replica),
            lora_modules=group.adapters,
            python=self.python,
            label=label,
        )
        return server.start()

    def _log_path(self, group: _Group, replica: int = 0) -> Path:
        index = list(self._groups.values()).index(group)
        suffix = f"-r{replica + 1}" if replica else ""
        return self.log_dir / f"vllm-{index}-{served_name_for(group.checkpoint)}{suffix}.log"

    def _died(self, group: _Group, spec: EndpointSpec) -> ServerError:
        server = next((s for s in group.servers if not s.alive()), group.server)
        assert server is not None
        for s in group.servers:
            s.stop()  # the API process died; its engine children may still hold memory
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
