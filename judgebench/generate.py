"""Generation: one job per (model, prompt, sample) whose response is not stored yet.

All of a model's prompts are queued at once and drained by as many workers as the endpoint's
concurrency allows, so a vLLM server sees a full batch. Multi-turn prompts keep the conversation:
each turn's answer is fed back before the next user turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from judgebench.backends.base import BackendError
from judgebench.config import GenerationParams, ModelSpec, Suite
from judgebench.engine import TOKEN_OVERHEAD, Caller, Job
from judgebench.hashing import content_hash
from judgebench.records import CompletionRequest, Message, Prompt, Usage
from judgebench.store import Store


def model_identity(spec: ModelSpec) -> dict[str, Any]:
    """What makes two models the same model: where it is served and which weights answer."""
    ident: dict[str, Any] = {"provider": spec.provider, "model": spec.model}
    if spec.provider == "openai":
        ident["base_url"] = (spec.primary_url or "default").rstrip("/")
    if spec.adapter or spec.base:
        ident |= {"base": spec.base, "adapter": spec.adapter}
    if spec.provider == "vllm" and spec.server.dtype:
        ident["dtype"] = spec.server.dtype
    return ident


def response_key(spec: ModelSpec, params: GenerationParams, prompt: Prompt, sample: int) -> str:
    """Content key: model identity, sampling params, system prompt, prompt content, sample index."""
    return content_hash(
        {
            "kind": "response",
            "model": model_identity(spec),
            "system_prompt": spec.system_prompt,
            "params": params.model_dump(exclude={"samples"}),
            "prompt": prompt.content(),
            "sample": sample,
        }
    )


@dataclass(frozen=True)
class Planned:
    model: str
    prompt_id: str
    sample: int
    key: str


def plan(suite: Suite, prompts: Sequence[Prompt], models: Sequence[ModelSpec] | None = None) -> list[Planned]:
    """Every response the suite needs, in a stable order."""
    out: list[Planned] = []
    for spec in models if models is not None else suite.models:
        params = suite.generation_for(spec)
        for prompt in prompts:
            for s in range(params.samples):
                out.append(Planned(spec.name, prompt.id, s, response_key(spec, params, prompt, s)))
    return out


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


def missing(store: Store, planned: Sequence[Planned]) -> list[Planned]:
    """Planned responses with no ``ok`` row (errors are retried)."""
    have = store.responses(p.key for p in planned)
    return [p for p in planned if p.key not in have or have[p.key].status != "ok"]


def build_jobs(
    store: Store,
    suite: Suite,
    prompts: Sequence[Prompt],
    todo: Sequence[Planned],
    route: Callable[[ModelSpec], tuple[str, str]],
) -> list[Job]:
    """Jobs for ``todo``; ``route(spec)`` gives (endpoint id, model name to send)."""
    by_id = {p.id: p for p in prompts}
    jobs: list[Job] = []
    for item in todo:
        spec = suite.model(item.model)
        endpoint, served = route(spec)
        jobs.append(
            make_job(store, spec, served, suite.generation_for(spec), by_id[item.prompt_id], item.key, endpoint,
                     seed_offset=item.sample)
        )
    return jobs
