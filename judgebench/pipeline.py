"""The only module that knows the stage order: prepare -> generate -> judge -> report.

``prepare`` validates everything (suite, prompts, rubric, API-key variables, vLLM availability)
before the store is opened, so a bad input writes nothing. Servers started for a stage are
stopped when the pipeline call returns, on success, error or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgebench.config import EndpointSpec, ModelSpec, Suite, load_suite
from judgebench.engine import Budget, Endpoint, NullProgress, Progress, RunStats, execute
from judgebench.errors import ConfigError, EndpointUnavailable, RunFailed, SuiteError
from judgebench.hashing import content_hash
from judgebench.promptset import load_prompts
from judgebench.records import Prompt
from judgebench.rubrics import Rubric, load_rubric
from judgebench.shard import Shard
from judgebench.store import Store

STAGES = ("generate", "judge", "report")


@dataclass(frozen=True)
class Prepared:
    """A suite with everything it refers to loaded and checked."""

    suite: Suite
    prompts: tuple[Prompt, ...]
    rubric: Rubric
    path: Path | None = None

    @property
    def suite_hash(self) -> str:
        return content_hash({"suite": self.suite.model_dump(mode="json", exclude={"prompts"}),
                             "prompts": self.prompts_hash}, 16)

    @property
    def prompts_hash(self) -> str:
        return content_hash([[p.id, list(p.turns), p.reference_answer] for p in self.prompts], 16)


@dataclass(frozen=True)
class RunOptions:
    store: Path
    leaderboards: Path
    env: Mapping[str, str] = field(default_factory=dict)
    max_requests: int | None = None
    max_cost: float | None = None
    models: tuple[str, ...] | None = None
    """Restrict generation/judging to these models (their references are added)."""
    shard: Shard | None = None
    """Generate and judge only this shard's prompts (``--shard i/n``); the store still saves the whole suite."""


def default_store(suite_path: Path | None) -> Path:
    base = suite_path.parent if suite_path is not None else Path.cwd()
    return base / ".judgebench" / "store.sqlite"


def prepare(path: str | Path, env: Mapping[str, str]) -> Prepared:
    """Load and check everything, endpoints (API-key variables, vLLM) included."""
    prepared = load(path)
    check_endpoints(prepared, env)
    return prepared


def load(path: str | Path) -> Prepared:
    """Suite, prompts and rubric, checked, without looking at endpoints (``rubric render`` needs no keys).

    Canaries (``canaries:``) are added to the suite's models here, so every later stage sees them.
    """
    from judgebench.canaries import with_canaries

    suite = with_canaries(load_suite(path))
    prompts = load_prompts(suite.prompts, suite_file=path)
    if suite.limit:
        prompts = prompts[: suite.limit]
    rubric = _load_suite_rubric(suite, Path(path))
    if rubric.protocol.needs_reference_answer and not any(p.reference_answer for p in prompts):
        raise ConfigError(
            f"Rubric {rubric.name!r} (protocol {rubric.protocol.name}) needs `reference_answer` in the prompts, "
            f"but {suite.prompts} has none.",
            "Add reference_answer to the prompts, or use another rubric.",
        )
    if suite.judge.logprobs and not rubric.protocol.supports_logprobs:
        raise ConfigError(
            f"judge.logprobs is on, but protocol {rubric.protocol.name!r} cannot be logprob-weighted "
            "(its labels do not start with distinct tokens).",
            "Set judge.logprobs: false, or use a protocol such as pairwise, lima or absolute.",
        )
    return Prepared(suite=suite, prompts=tuple(prompts), rubric=rubric, path=Path(path))


def _load_suite_rubric(suite: Suite, path: Path) -> Rubric:
    """load_rubric, with a bad `judge.protocol` or `judge.rubric` name blamed on the suite file's field."""
    from judgebench.protocols import get_protocol
    from judgebench.rubrics import resolve_path

    try:
        if suite.judge.protocol:
            get_protocol(suite.judge.protocol)
    except ConfigError as e:
        raise SuiteError(path, "judge.protocol", e.message, e.hint) from None
    try:
        resolve_path(suite.judge.rubric, path.parent)
    except ConfigError as e:
        raise SuiteError(path, "judge.rubric", e.message, e.hint) from None
    return load_rubric(suite.judge.rubric, suite.judge.protocol, path.parent)


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
                f"Cannot reach {url} (`{where}` in {prepared.path}): {error.strerror or type(error).__name__}.",
                "Start the server, or fix `base_url` in the suite file. Nothing was written.",
            ) from None


def _api_key(spec: EndpointSpec, env: Mapping[str, str], what: str, path: Path | None) -> str | None:
    if spec.provider != "openai":
        return None
    if spec.api_key_env:
        value = env.get(spec.api_key_env)
        if not value:
            raise ConfigError(
                f"{what} in {path}: the environment variable {spec.api_key_env} (api_key_env) is not set.",
                f"Export it first: export {spec.api_key_env}=... (keys never go in suite files).",
            )
        return value
    base_url = spec.primary_url or env.get("OPENAI_BASE_URL")
    key = env.get("OPENAI_API_KEY")
    if not base_url and not key:
        raise ConfigError(
            f"{what} in {path} uses the OpenAI API, but OPENAI_API_KEY is not set.",
            "Export OPENAI_API_KEY, set `api_key_env`, or point `base_url` at your own server.",
        )
    return key


def check_endpoints(prepared: Prepared, env: Mapping[str, str]) -> None:
    """Fail before any write when a key variable is missing or vLLM is needed but absent."""
    suite = prepared.suite
    for m in suite.models:
        _api_key(m, env, f"Model {m.name!r}", prepared.path)
    _api_key(suite.judge, env, "The judge", prepared.path)
    if any(e.provider == "vllm" for e in [*suite.models, suite.judge]):
        from judgebench.backends.vllm_server import require_vllm

        require_vllm()


class Router:
    """Maps model and judge specs to engine endpoints, starting vLLM servers lazily."""

    def __init__(self, prepared: Prepared, env: Mapping[str, str], log_dir: Path, stack: ExitStack) -> None:
        self._prepared = prepared
        self._env = env
        self._log_dir = log_dir
        self._stack = stack
        self._pool: Any = None
        self._waves: Any = None
        self.endpoints: dict[str, Endpoint] = {}
        self._routes: dict[str, tuple[str, str]] = {}

    def _vllm_pool(self) -> Any:
        if self._pool is None:
            from judgebench.backends.vllm_server import ServerPool

            specs: list[EndpointSpec] = [*self._prepared.suite.models, self._prepared.suite.judge]
            self._pool = self._stack.enter_context(ServerPool(specs, self._log_dir))
        return self._pool

    def waves(self) -> Any:
        """The run's :class:`~judgebench.backends.waves.ServerWaves` (managed servers only)."""
        if self._waves is None:
            from judgebench.backends.waves import ServerWaves

            self._waves = ServerWaves(self._vllm_pool(), self._prepared.suite.judge, self._env)
        return self._waves

    def route(self, spec: EndpointSpec, label: str) -> tuple[str, str]:
        """(endpoint id, model name to send) for ``spec``; builds the backend on first use."""
        if label not in self._routes:
            self._routes[label] = self._route(spec, label)
        return self._routes[label]

    def _route(self, spec: EndpointSpec, label: str) -> tuple[str, str]:
        from judgebench.backends.openai_backend import OpenAIBackend

        if spec.provider == "vllm":
            pool = self._vllm_pool()
            self.waves().place(spec)
            urls, served = pool.endpoints(spec)
            base_url = urls[0]
            endpoint_id = f"vllm:{base_url}"
            key = None
            describe = f"the vLLM server for {label} ({', '.join(urls)})"

            def check(spec: EndpointSpec = spec) -> None:
                pool.check(spec)
            if len(urls) > 1 and endpoint_id not in self.endpoints:  # server.replicas
                from judgebench.backends.replicas import ReplicaBackend

                backends = [OpenAIBackend(base_url=u, api_key=None, timeout=spec.timeout, name=f"vllm:{u}") for u in urls]
                self.endpoints[endpoint_id] = Endpoint(
                    backend=ReplicaBackend(backends, urls, describe=label, name=endpoint_id),
                    concurrency=spec.concurrency * len(urls), describe=describe, check=check)
        else:
            urls = [u or self._env.get("OPENAI_BASE_URL") for u in spec.urls]
            base_url = urls[0]
            served = spec.model
            key = _api_key(spec, self._env, label, self._prepared.path)
            endpoint_id = f"openai:{'|'.join(map(str, urls))}:{spec.api_key_env}"
            if spec.prices is not None:  # one server, different prices (a model and the judge): priced apart
                endpoint_id += f":{spec.prices.input_per_mtok}/{spec.prices.output_per_mtok}"
            describe = f"{label} at {', '.join(u or 'the OpenAI API' for u in urls)}"
            check = None  # type: ignore[assignment]
            if len(urls) > 1 and endpoint_id not in self.endpoints:
                from judgebench.backends.replicas import ReplicaBackend

                backends = [OpenAIBackend(base_url=u, api_key=key, timeout=spec.timeout, name=f"openai:{u}") for u in urls]
                self.endpoints[endpoint_id] = Endpoint(
                    backend=ReplicaBackend(backends, [str(u) for u in urls], describe=label, name=endpoint_id),
                    concurrency=spec.concurrency * len(urls), prices=spec.prices, describe=describe)
        if endpoint_id not in self.endpoints:
            backend = OpenAIBackend(base_url=base_url, api_key=key, timeout=spec.timeout, name=endpoint_id)
            self.endpoints[endpoint_id] = Endpoint(
                backend=backend, concurrency=spec.concurrency, prices=spec.prices, describe=describe, check=check
            )
        return endpoint_id, served

    async def aclose(self) -> None:
        for e in self.endpoints.values():
            await e.backend.aclose()


@dataclass
class StageResult:
    stage: str
    planned: int
    requested: int
    stats: RunStats | None = None
    blocked: int = 0


@dataclass
class PipelineResult:
    stages: list[StageResult] = field(default_factory=list)
    leaderboard: dict[str, Any] | None = None
    out_dir: Path | None = None

    @property
    def requests_sent(self) -> int:
        return sum(s.stats.requests_sent for s in self.stages if s.stats)

    @property
    def errors(self) -> int:
        return sum(s.stats.errors for s in self.stages if s.stats)


def saved_config(prepared: Prepared) -> dict[str, Any]:
    """What the store keeps so that reports (and gates) work without the suite file."""
    r = prepared.rubric
    return {"suite": prepared.suite.model_dump(mode="json"),
            "rubric": {"name": r.name, "path": str(r.path), "source": r.source, "protocol": r.protocol.name}}


def from_store(store: Store, name: str) -> Prepared:
    """Rebuild a Prepared suite from what ``run`` or ``import`` saved in the store."""
    from judgebench.protocols import get_protocol

    saved = store.suite(name)
    if saved is None:
        known = ", ".join(store.suite_names()) or "none"
        raise ConfigError(f"No suite named {name!r} in the store {store.path} (suites there: {known}).",
                          "Pass a suite file, or the --store that holds the suite.")
    config, prompts = saved
    suite = Suite.model_validate(config["suite"])
    r = config["rubric"]
    rubric = Rubric(name=r["name"], path=Path(r["path"]), source=r["source"], protocol=get_protocol(r["protocol"]))
    records = tuple(Prompt(id=p["id"], turns=tuple(p["turns"]), category=p.get("category") or "",
                           reference_answer=p.get("reference_answer")) for p in prompts)
    return Prepared(suite=suite, prompts=records, rubric=rubric, path=None)


def selected_models(suite: Suite, only: Sequence[str] | None) -> list[ModelSpec]:
    if only is None:
        return list(suite.models)
    wanted = set(only) | set(suite.references)
    for name in only:
        if name not in {m.name for m in suite.models}:
            raise ConfigError(f"Model {name!r} is not in suite {suite.name!r}.",
                              f"Models: {', '.join(m.name for m in suite.models)}.")
    return [m for m in suite.models if m.name in wanted]


@contextmanager
def _session(prepared: Prepared, options: RunOptions) -> Iterator[tuple[Store, Router, ExitStack]]:
    with ExitStack() as stack:
        store = stack.enter_context(Store(options.store))
        store.save_suite(prepared.suite.name, saved_config(prepared),
                         [{"id": p.id, "turns": list(p.turns), "category": p.category,
                           "reference_answer": p.reference_answer} for p in prepared.prompts])
        log_dir = options.store.parent / "logs" / time.strftime("%Y%m%d-%H%M%S")
        router = Router(prepared, options.env, log_dir, stack)
        yield store, router, stack


def run(
    prepared: Prepared,
    options: RunOptions,
    stages: Sequence[str] = STAGES,
    progress: Progress | None = None,
) -> PipelineResult:
    """Run the chosen stages in order. Raises RunFailed when requests ended as errors."""
    progress = progress or NullProgress()
    budget = Budget(options.max_requests, options.max_cost)
    result = PipelineResult()
    suite = prepared.suite
    models = selected_models(suite, options.models)
    if any(spec.provider == "vllm" for spec in [*models, suite.judge]) and ("generate" in stages or "judge" in stages):
        from judgebench.backends.vllm_server import install_exit_handlers

        install_exit_handlers()  # from the calling (main) thread: servers start in worker threads
    if not options.store.exists() and ("generate" in stages or "judge" in stages):
        check_reachable(prepared, options.env, models)
    with _session(prepared, options) as (store, router, _stack):

        async def requests() -> None:
            try:
                owned = None if options.shard is None else {p.id for p in options.shard.select(prepared.prompts)}
                if "generate" in stages:
                    result.stages.append(await _generate(prepared, store, router, models, budget, progress, owned))
                if "judge" in stages:
                    result.stages.append(await _judge(prepared, store, router, models, budget, progress, owned))
            finally:
                await router.aclose()

        if "generate" in stages or "judge" in stages:
            asyncio.run(requests())
        if "report" in stages:
            from judgebench.report import build_report, write_report

            board, explorer = build_report(prepared.suite, list(prepared.prompts), prepared.rubric, store,
                                           suite_hash=prepared.suite_hash, prompts_hash=prepared.prompts_hash)
            result.leaderboard = board
            result.out_dir = write_report(options.leaderboards, board, explorer)
    if result.errors:
        first = next((s.stats.first_error for s in result.stages if s.stats and s.stats.first_error), None)
        raise RunFailed(
            f"{result.errors} request(s) failed after retries (first: {first}).",
            "Everything else is stored, and the failures are recorded as errors (never as results). "
            "Rerun the same command to retry only what failed.",
        )
    return result


async def _generate(prepared: Prepared, store: Store, router: Router, models: list[ModelSpec], budget: Budget,
                    progress: Progress, owned: set[str] | None = None) -> StageResult:
    from judgebench import generate
    from judgebench.canaries import write_responses

    suite = prepared.suite
    write_responses(store, suite, prepared.prompts)  # canaries answer without a backend
    planned = generate.plan(suite, prepared.prompts, models)
    if owned is not None:  # --shard: this machine's prompts only
        planned = [p for p in planned if p.prompt_id in owned]
    todo = generate.missing(store, planned)
    if not todo:
        return StageResult("generate", len(planned), 0)
    specs = [suite.model(name) for name in dict.fromkeys(p.model for p in todo)]
    if not any(m.provider == "vllm" for m in specs):
        steps: list[Any] = [None]
    else:  # managed servers run in waves that fit the devices (judgebench.backends.schedule)
        steps = router.waves().plan(specs)
    stats: RunStats | None = None
    for i, step in enumerate(steps):
        if step is not None:
            await router.waves().start(step)
        names = {m.name for m in (step.models if step is not None else specs)}
        wave_todo = [p for p in todo if p.model in names]
        for name in dict.fromkeys(p.model for p in wave_todo):
            await asyncio.to_thread(router.route, suite.model(name), f"model {name!r}")
        jobs = generate.build_jobs(store, suite, prepared.prompts, wave_todo,
                                   lambda spec: router.route(spec, f"model {spec.name!r}"))
        more = await execute(jobs, router.endpoints, retry=suite.retry, budget=budget, progress=progress,
                             stage="generate" if len(steps) == 1 else f"generate, servers {i + 1}/{len(steps)}")
        stats = more if stats is None else _add_stats(stats, more)
        if step is not None:
            await router.waves().finish(step)
    return StageResult("generate", len(planned), len(todo), stats)


def _add_stats(total: RunStats, more: RunStats) -> RunStats:
    from judgebench.backends.waves import add_stats

    return add_stats(total, more)


async def _judge(prepared: Prepared, store: Store, router: Router, models: list[ModelSpec], budget: Budget,
                 progress: Progress, owned: set[str] | None = None) -> StageResult:
    from judgebench import judge as judging
    from judgebench.manifests import judging_manifest

    suite = prepared.suite
    planned = judging.plan(suite, prepared.prompts, prepared.rubric, [m.name for m in models])
    if owned is not None:  # --shard: this machine's prompts only
        planned = [p for p in planned if p.prompt_id in owned]
    manifest = judging_manifest(suite, prepared.rubric, prepared.prompts_hash, len(prepared.prompts))
    for name in dict.fromkeys(p.model for p in planned):
        store.record_manifest(suite.name, name, manifest)
    ready, blocked = judging.todo(store, suite.judge, planned)
    if not ready:
        return StageResult("judge", len(planned), 0, blocked=blocked)
    endpoint, served = await asyncio.to_thread(router.route, suite.judge, "the judge")
    prompts = {p.id: p for p in prepared.prompts}
    rows = store.responses({k for p in ready for k in (p.model_response, p.reference_response) if k})

    def shown(key: str) -> tuple[str, list[str]]:
        row = rows[key]
        return row.text or "", list(row.info.get("answers") or [row.text or ""])

    jobs = []
    for item in ready:
        prompt = prompts[item.prompt_id]
        if item.reference_response is None:
            text = judging.render_for(prepared.rubric, prompt, shown(item.model_response), None)
        else:
            a, b = (item.model_response, item.reference_response) if item.order == "AB" else (
                item.reference_response, item.model_response)
            text = judging.render_for(prepared.rubric, prompt, shown(a), shown(b))
        jobs.append(judging.make_job(store, suite.judge, prepared.rubric, item, text, served, endpoint))
    stats = await execute(jobs, router.endpoints, retry=suite.retry, budget=budget, progress=progress,
                          stage="judge")
    return StageResult("judge", len(planned), len(ready), stats, blocked)
