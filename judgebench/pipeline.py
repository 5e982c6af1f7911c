"""The only module that knows the stage order: load -> generate -> judge -> report.

Loading (:mod:`judgebench.prepared`) checks every file before the store is opened, so a bad input
writes nothing. A first run (no store yet) also checks, before any write, that every role's
API-key variable is set and its server reachable; later runs resolve a role's key only when
that role has a request to send (:mod:`judgebench.endpoints`). Servers started for a stage are
stopped when the pipeline call returns, on success, error or Ctrl-C.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgebench import guards, interrupt
from judgebench.endpoints import Router, check_endpoints, check_reachable
from judgebench.engine import Budget, NullProgress, Progress, StageResult
from judgebench.errors import RunFailed
from judgebench.prepared import Prepared, default_store, from_store, load, saved_config, selected_models
from judgebench.records import Prompt
from judgebench.shard import Shard
from judgebench.store import Store

__all__ = [
    "STAGES", "PipelineResult", "Prepared", "Router", "RunOptions", "StageResult", "default_store", "from_store",
    "load", "prepare", "run", "saved_config", "selected_models",
]

STAGES = ("generate", "judge", "report")


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


def prepare(path: str | Path, env: Mapping[str, str] | None = None) -> Prepared:
    """Load and check a suite. Endpoints are checked by :func:`run`, when it is about to use them
    (``env`` is accepted for callers that passed it; it is not read here)."""
    return load(path)


@dataclass
class PipelineResult:
    stages: list[StageResult] = field(default_factory=list)
    leaderboard: dict[str, Any] | None = None
    out_dir: Path | None = None
    parse_failure_rate: tuple[int, int] | None = None
    """(parse failures, judgments stored) over the planned judgments of the models run, after judging."""

    @property
    def requests_sent(self) -> int:
        return sum(s.stats.requests_sent for s in self.stages if s.stats)

    @property
    def errors(self) -> int:
        return sum(s.stats.errors for s in self.stages if s.stats)


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
    if "report" in stages:
        guards.check_out(options.leaderboards)
    requesting = "generate" in stages or "judge" in stages
    if requesting and not options.store.exists():
        check_endpoints(prepared, options.env, models if "generate" in stages else [], "judge" in stages)
        check_reachable(prepared, options.env, models)
    with _session(prepared, options) as (store, router, _stack):

        async def requests() -> None:
            try:
                owned = prepared.prompts if options.shard is None else options.shard.select(prepared.prompts)
                if "generate" in stages:
                    result.stages.append(await _generate(prepared, owned, store, router, models, budget, progress))
                if "judge" in stages:
                    result.stages.append(await _judge(prepared, owned, store, router, models, budget, progress))
            finally:
                await router.aclose()

        if "generate" in stages or "judge" in stages:
            interrupt.run(requests())
        if "judge" in stages:
            result.parse_failure_rate = guards.parse_failures(prepared, store, models)
        if "report" in stages:
            from judgebench.judge_validation import judge_credentials
            from judgebench.report import build_report, write_report

            board, explorer = build_report(prepared.suite, list(prepared.prompts), prepared.rubric, store,
                                           suite_hash=prepared.suite_hash, prompts_hash=prepared.prompts_hash,
                                           judge_credentials=judge_credentials(prepared, store))
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




async def _generate(prepared: Prepared, prompts: Sequence[Prompt], store: Store, router: Router, models: list[Any],
                    budget: Budget, progress: Progress) -> StageResult:
    """``prompts``: the suite's, or this shard's (--shard)."""
    from judgebench import generate

    return await generate.stage(prepared.suite, prompts, store, router, models, budget, progress,
                                prepared.suite.retry)


async def _judge(prepared: Prepared, prompts: Sequence[Prompt], store: Store, router: Router, models: list[Any],
                 budget: Budget, progress: Progress) -> StageResult:
    from judgebench import judge as judging
    from judgebench import plan
    from judgebench.judge_validation import validation_work
    from judgebench.manifests import judging_manifest

    suite = prepared.suite
    names = [m.name for m in models]
    manifest = judging_manifest(suite, prepared.rubric, prepared.prompts_hash, len(prepared.prompts))
    for name in plan.judged_models(suite, prepared.rubric, names):
        store.record_manifest(suite.name, name, manifest)
    n_validation, validation_jobs = validation_work(prepared, store)
    return await judging.stage(suite, prompts, prepared.rubric, store, router, names, budget, progress,
                               extra=validation_jobs, extra_count=n_validation)
