"""Generation: one job per (model, prompt, sample) whose response is not stored yet.

Each model's missing responses are planned lazily (:mod:`judgebench.plan`, a chunk at a time)
and drained by as many workers as that model's ``concurrency`` allows, every model at once, so a
vLLM server sees a full batch. Multi-turn prompts keep the conversation: each turn's answer is
fed back before the next user turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from judgebench import plan
from judgebench.backends.base import BackendError
from judgebench.config import GenerationParams, ModelSpec, Suite
from judgebench.engine import (
    TOKEN_OVERHEAD,
    Budget,
    Caller,
    Job,
    Progress,
    RunStats,
    StageResult,
    add_stats,
    execute,
)
from judgebench.records import CompletionRequest, Message, Prompt, Usage
from judgebench.store import Store

if TYPE_CHECKING:
    from judgebench.endpoints import Router


def _messages(spec: ModelSpec, history: list[Message]) -> tuple[Message, ...]:
    system = [Message("system", spec.system_prompt)] if spec.system_prompt else []
    return tuple(system + history)


def make_job(
    store: Store, spec: ModelSpec, served_model: str, params: GenerationParams, prompt: Prompt, key: str,
    endpoint: str, seed_offset: int = 0,
) -> Job:
    """A job that asks for every turn of ``prompt`` and stores the response (or the error)."""

    async def run(call: Caller) -> None:
        history: list[Message] = []
        answers: list[str] = []
        usage = Usage()
        for turn in prompt.turns:
            history.append(Message("user", turn))
            request = CompletionRequest(
                model=served_model,
                messages=_messages(spec, history),
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                seed=None if params.seed is None else params.seed + seed_offset,
                stop=tuple(params.stop) if params.stop else None,
                extra_body=dict(params.extra_body),
            )
            completion = await call(request)
            answers.append(completion.text)
            usage = usage + completion.usage
            history.append(Message("assistant", completion.text))
        info: dict[str, Any] = {"model": spec.name, "prompt_id": prompt.id}
        if len(answers) > 1:
            info["answers"] = answers
        store.put_response(
            key, status="ok", text=answers[-1], prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens, info=info,
        )

    def on_error(e: BackendError) -> None:
        store.put_response(key, status="error", error=f"{type(e).__name__}: {e}",
                           info={"model": spec.name, "prompt_id": prompt.id})

    # Worst case over all turns: each turn resends the conversation, answers of max_tokens included.
    history = len(spec.system_prompt.encode()) + TOKEN_OVERHEAD if spec.system_prompt else 0
    prompt_bound = 0
    for turn in prompt.turns:
        history += len(turn.encode()) + TOKEN_OVERHEAD
        prompt_bound += history + TOKEN_OVERHEAD
        history += params.max_tokens + TOKEN_OVERHEAD
    return Job(key=key, endpoint=endpoint, run=run, on_error=on_error, requests=len(prompt.turns),
               tokens_bound=(prompt_bound, params.max_tokens * len(prompt.turns)))


def missing(store: Store, planned: Sequence[plan.PlannedResponse]) -> list[plan.PlannedResponse]:
    """Planned responses with no ``ok`` row (errors are retried)."""
    have = store.statuses("responses", (p.key for p in planned))
    return [p for p in planned if have.get(p.key, ("missing", 0))[0] != "ok"]


def count_missing(store: Store, suite: Suite, prompts: Sequence[Prompt], spec: ModelSpec) -> tuple[int, int]:
    """(planned, missing) responses of one model, a chunk at a time."""
    planned = todo = 0
    for chunk in plan.chunks(plan.responses(suite, prompts, [spec])):
        planned += len(chunk)
        todo += len(missing(store, chunk))
    return planned, todo


def jobs(store: Store, suite: Suite, prompts: Mapping[str, Prompt], spec: ModelSpec, served: str,
         endpoint: str) -> Iterator[Job]:
    """The jobs of one model's missing responses, planned and looked up a chunk at a time."""
    params = suite.generation_for(spec)
    ordered = list(prompts.values())
    for chunk in plan.chunks(plan.responses(suite, ordered, [spec])):
        for item in missing(store, chunk):
            yield make_job(store, spec, served, params, prompts[item.prompt_id], item.key, endpoint,
                           seed_offset=item.sample)


async def stage(suite: Suite, prompts: Sequence[Prompt], store: Store, router: Router, models: Sequence[ModelSpec],
                budget: Budget, progress: Progress, retry: Any) -> StageResult:
    """Generate what ``models`` lack: canaries written directly, every other model through its endpoint.

    Managed vLLM servers run in waves that fit the devices (:mod:`judgebench.backends.waves`): a
    wave's servers start together, its models generate, its servers stop (the judge's is kept).
    When every server fits at once -- the demo's one shared CPU server -- there is one wave.
    """
    from judgebench.canaries import write_responses

    write_responses(store, suite, prompts)  # canaries answer without a backend
    counts = {spec.name: count_missing(store, suite, prompts, spec) for spec in models}
    planned = sum(p for p, _ in counts.values())
    todo = sum(t for _, t in counts.values())
    if not todo:
        return StageResult("generate", planned, 0)
    pending = [spec for spec in models if counts[spec.name][1]]
    # Planned before any server starts: one that can never fit is a ConfigError with nothing started.
    steps = router.waves().plan(pending) if any(m.provider == "vllm" for m in pending) else None
    groups = [pending] if steps is None else [list(step.models) for step in steps]
    by_id = {p.id: p for p in prompts}
    stats: RunStats | None = None
    for i, group in enumerate(groups):
        if steps is not None:
            await router.waves().start(steps[i])
        streams: dict[str, Iterator[Job]] = {}
        for spec in group:
            lane, served = await asyncio.to_thread(router.route, spec, f"model {spec.name!r}")
            streams[lane] = jobs(store, suite, by_id, spec, served, lane)
        more = await execute(streams, router.endpoints, retry=retry, budget=budget, progress=progress,
                             stage="generate" if len(groups) == 1 else f"generate, servers {i + 1}/{len(groups)}",
                             total=sum(counts[spec.name][1] for spec in group))
        stats = more if stats is None else add_stats(stats, more)
        if steps is not None:
            await router.waves().finish(steps[i])
    return StageResult("generate", planned, todo, stats)
