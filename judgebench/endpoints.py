"""Endpoints versus load: which server answers a role, and how many requests that role may send.

A *server* is a backend (an OpenAI-compatible URL, or a vLLM server judgebench starts): one
HTTP client, shared. A *lane* is one role's use of it -- a model being generated, the judge --
with that role's own ``concurrency`` and prices. Roles that share a server (a model and the
judge on one managed vLLM server) get a lane each, so each limit holds.

API keys are read from the environment only when a lane is built, i.e. just before its first
request: stages that send nothing (``report``, ``compare``, ``gate --no-run``, a fully cached
``run``) never need them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from judgebench import guards
from judgebench.backends.base import Backend
from judgebench.config import EndpointSpec, ModelSpec
from judgebench.engine import Endpoint
from judgebench.errors import ConfigError, EndpointUnavailable
from judgebench.prepared import Prepared
from judgebench.redaction import redact_url


def api_key(spec: EndpointSpec, env: Mapping[str, str], what: str, path: Path | None) -> str | None:
    """The key ``spec`` needs, from ``env``; a clear ConfigError when its variable is not set."""
    if spec.provider != "openai":
        return None
    if spec.api_key_env:
        value = env.get(spec.api_key_env)
        if not value:
            raise ConfigError(
                f"{what} in {path}: the environment variable {spec.api_key_env} (api_key_env) is not set.",
                f"Export it first: export {spec.api_key_env}=... (keys never go in suite files).",
            )
        guards.check_key(value, spec.api_key_env, what, path)
        return value
    base_url = spec.primary_url or env.get("OPENAI_BASE_URL")
    key = env.get("OPENAI_API_KEY")
    if not base_url and not key:
        raise ConfigError(
            f"{what} in {path} uses the OpenAI API, but OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, set `api_key_env`, or point `base_url` at your own server.",
        )
    if key:
        guards.check_key(key, "OPENAI_API_KEY", what, path)
    return key


def check_endpoints(prepared: Prepared, env: Mapping[str, str], models: Sequence[ModelSpec] | None = None,
                    judge: bool = True) -> None:
    """Fail before any write when a key variable is missing or vLLM is needed but absent.

    For a first run (no store yet), where every role will send requests; later runs check each
    role lazily, when it has something to send.
    """
    suite = prepared.suite
    specs: list[tuple[str, EndpointSpec]] = [(f"Model {m.name!r}", m) for m in (suite.models if models is None else models)]
    if judge:
        specs.append(("The judge", suite.judge))
    for what, spec in specs:
        api_key(spec, env, what, prepared.path)
    if any(spec.provider == "vllm" for _, spec in specs):
        from judgebench.backends.vllm_server import require_vllm

        require_vllm()


def check_reachable(prepared: Prepared, env: Mapping[str, str], models: Sequence[ModelSpec]) -> None:
    """Raise EndpointUnavailable, naming the suite field, when an http(s) endpoint refuses connections.

    Run before a first run creates its store, so a wrong ``base_url`` writes nothing.
    """
    import socket
    from urllib.parse import urlsplit

    suite = prepared.suite
    specs: list[tuple[str, EndpointSpec]] = [(f"models[{suite.models.index(m)}] ({m.name}).base_url", m) for m in models]
    specs.append(("judge.base_url", suite.judge))
    seen: set[tuple[str, int]] = set()
    for where, spec in specs:
        if spec.provider != "openai":
            continue
        failures: list[tuple[str, OSError]] = []
        urls = [u or env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1" for u in spec.urls]
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
            try:
                address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
            except ValueError:
                continue
            if address in seen:
                continue
            try:
                socket.create_connection(address, timeout=min(spec.timeout, 10.0)).close()
            except OSError as exc:
                failures.append((url, exc))
            else:
                seen.add(address)
        if failures and len(failures) == len(urls):  # replicas: one that answers is enough to start
            url, error = failures[0]
            if len(urls) > 1:
                url = ", ".join(u for u, _ in failures)
                where = where.replace(".base_url", ".base_urls")
            raise EndpointUnavailable(
                f"Cannot reach {redact_url(url)} (`{where}` in {prepared.path}): {error.strerror or type(error).__name__}.",
                "Start the server, or fix `base_url` in the suite file. Nothing was written.",
            ) from None


class Router:
    """Maps model and judge specs to lanes, starting vLLM servers and building clients lazily."""

    def __init__(self, prepared: Prepared, env: Mapping[str, str], log_dir: Path, stack: ExitStack) -> None:
        self._prepared = prepared
        self._env = env
        self._log_dir = log_dir
        self._stack = stack
        self._pool: Any = None
        self._waves: Any = None
        self._backends: dict[str, Backend] = {}
        self.endpoints: dict[str, Endpoint] = {}
        """Lane id -> lane (what the engine drives)."""
        self._routes: dict[str, tuple[str, str]] = {}

    def _vllm_pool(self) -> Any:
        if self._pool is None:
            from judgebench.backends.vllm_server import ServerPool, require_vllm

            require_vllm()
            specs: list[EndpointSpec] = [*self._prepared.suite.models, self._prepared.suite.judge]
            self._pool = self._stack.enter_context(ServerPool(specs, self._log_dir))
        return self._pool

    def waves(self) -> Any:
        """The run's :class:`~judgebench.backends.waves.ServerWaves`: managed servers started in waves
        that fit the devices (one wave, as before, when everything fits, e.g. the demo's one server)."""
        if self._waves is None:
            from judgebench.backends.waves import ServerWaves

            self._waves = ServerWaves(self._vllm_pool(), self._prepared.suite.judge, self._env)
        return self._waves

    def route(self, spec: EndpointSpec, label: str) -> tuple[str, str]:
        """(lane id, model name to send) for the role ``label``; builds what it needs on first use."""
        if label not in self._routes:
            self._routes[label] = self._route(spec, label)
        return self._routes[label]

    def _route(self, spec: EndpointSpec, label: str) -> tuple[str, str]:
        from judgebench.backends.openai_backend import OpenAIBackend

        check = None
        if spec.provider == "vllm":
            pool = self._vllm_pool()
            self.waves().place(spec)  # a server no wave started (the judge's, after generation) gets devices
            replica_urls, served = pool.endpoints(spec)  # server.replicas: one URL per replica
            urls: list[str | None] = list(replica_urls)
            server = f"vllm:{replica_urls[0]}:{spec.timeout}"
            describe = f"the vLLM server for {label} ({', '.join(replica_urls)})"

            def check(spec: EndpointSpec = spec) -> None:
                pool.check(spec)
        else:
            urls = [u or self._env.get("OPENAI_BASE_URL") for u in spec.urls]
            served = spec.model
            server = f"openai:{'|'.join(map(str, urls))}:{spec.api_key_env}:{spec.timeout}"
            describe = f"{label} at {', '.join(redact_url(u) or 'the OpenAI API' for u in urls)}"
        if server not in self._backends:
            key = api_key(spec, self._env, label[0].upper() + label[1:], self._prepared.path)
            backends = [OpenAIBackend(base_url=u, api_key=key, timeout=spec.timeout, name=f"{server}:{u}") for u in urls]
            if len(backends) == 1:
                self._backends[server] = backends[0]
            else:
                from judgebench.backends.replicas import ReplicaBackend

                self._backends[server] = ReplicaBackend(backends, [str(redact_url(u)) for u in urls], describe=label, name=server)
        lane = f"{server} ({label})"
        # Replicas: `concurrency` applies to each of them.
        self.endpoints[lane] = Endpoint(backend=self._backends[server], concurrency=spec.concurrency * len(urls),
                                        prices=spec.prices, describe=describe, check=check)
        return lane, served

    async def aclose(self) -> None:
        for backend in self._backends.values():
            await backend.aclose()
