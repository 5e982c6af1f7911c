"""Judging: render the rubric for each (model, reference, prompt, order, sample), ask, parse, store.

Every stored verdict is un-ordered so it reads "model vs reference": a preference of 1 means the
model won whichever side it was shown on. Unparseable answers are stored as ``parse_failure``
(re-requested on later runs up to ``judge.max_parse_retries``), never as ties or losses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from judgebench.backends.base import BackendError
from judgebench.config import JudgeSpec, Suite
from judgebench.engine import Caller, Job, input_tokens_bound
from judgebench.generate import response_key
from judgebench.hashing import content_hash
from judgebench.records import CompletionRequest, Message, Prompt
from judgebench.rubrics import Rubric
from judgebench.store import Store

Order = str  # "AB": the model is shown as A; "BA": the model is shown as B; "" single-answer


def judge_identity(judge: JudgeSpec) -> dict[str, Any]:
    ident: dict[str, Any] = {"provider": judge.provider, "model": judge.model}
    if judge.provider == "openai":
        ident["base_url"] = (judge.primary_url or "default").rstrip("/")
    return ident


def judge_params(judge: JudgeSpec) -> dict[str, Any]:
    """Everything about the judge call that can change a verdict (not concurrency or timeouts)."""
    return {
        "temperature": judge.temperature,
        "max_tokens": judge.max_tokens,
        "structured": judge.structured,
        "logprobs": judge.logprobs,
        "system_prompt": judge.system_prompt,
    }


@dataclass(frozen=True)
class PlannedJudgment:
    model: str
    reference: str  # "" for single-answer protocols
    prompt_id: str
    order: Order
    sample: int
    key: str
    model_response: str
    reference_response: str | None


def orders_for(judge: JudgeSpec, model: str, prompt_id: str) -> tuple[Order, ...]:
    if judge.orders == "both":
        return ("AB", "BA")
    if judge.orders == "AB":
        return ("AB",)
    rng = random.Random(content_hash({"seed": judge.seed or 0, "model": model, "prompt": prompt_id}))
    return (rng.choice(("AB", "BA")),)


def judgment_key(judge: JudgeSpec, rubric: Rubric, first: str, second: str | None, order: Order, sample: int) -> str:
    """Content key: judge identity and params, rubric hash, both response keys as shown, order, sample."""
    return content_hash(
        {
            "kind": "judgment",
            "judge": judge_identity(judge),
            "params": judge_params(judge),
            "rubric": rubric.hash,
            "responses": [first, second],
            "order": order,
            "sample": sample,
        }
    )


def plan(suite: Suite, prompts: Sequence[Prompt], rubric: Rubric, models: Sequence[str] | None = None) -> list[PlannedJudgment]:
    """Every judgment the suite needs. Single-answer protocols judge every model, references too."""
    judge = suite.judge
    refs = suite.references
    names = list(models) if models is not None else [m.name for m in suite.models]
    out: list[PlannedJudgment] = []
    for name in names:
        spec = suite.model(name)
        params = suite.generation_for(spec)
        for prompt in prompts:
            mkey = response_key(spec, params, prompt, 0)
            if rubric.protocol.kind == "single":
                for s in range(judge.samples):
                    out.append(PlannedJudgment(name, "", prompt.id, "", s,
                                               judgment_key(judge, rubric, mkey, None, "", s), mkey, None))
                continue
            if name in refs:
                continue
            for ref in refs:
                rspec = suite.model(ref)
                rkey = response_key(rspec, suite.generation_for(rspec), prompt, 0)
                for order in orders_for(judge, name, prompt.id):
                    first, second = (mkey, rkey) if order == "AB" else (rkey, mkey)
                    for s in range(judge.samples):
                        out.append(PlannedJudgment(name, ref, prompt.id, order, s,
                                                   judgment_key(judge, rubric, first, second, order, s), mkey, rkey))
    return out


def _conversation(prompt: Prompt, answers: list[str]) -> list[dict[str, str]]:
    return [{"user": u, "assistant": a} for u, a in zip(prompt.turns, answers, strict=False)]


def render_for(rubric: Rubric, prompt: Prompt, first: tuple[str, list[str]], second: tuple[str, list[str]] | None) -> str:
    """The exact text the judge sees. ``first``/``second`` are (final text, all turn answers)."""
    variables: dict[str, Any] = {
        "prompt": prompt.text,
        "turns": list(prompt.turns),
        "category": prompt.category,
        "reference_answer": prompt.reference_answer or "",
        "multi_turn": len(prompt.turns) > 1,
    }
    if second is None:
        variables |= {"response": first[0], "conversation": _conversation(prompt, first[1])}
    else:
        variables |= {
            "response_a": first[0], "response_b": second[0],
            "conversation_a": _conversation(prompt, first[1]), "conversation_b": _conversation(prompt, second[1]),
        }
    return rubric.render(**variables)


def make_job(
    store: Store, judge: JudgeSpec, rubric: Rubric, item: PlannedJudgment, text: str, served_model: str, endpoint: str
) -> Job:
    protocol = rubric.protocol
    messages = ([Message("system", judge.system_prompt)] if judge.system_prompt else []) + [Message("user", text)]
    request = CompletionRequest(
        model=served_model,
        messages=tuple(messages),
        max_tokens=judge.max_tokens,
        temperature=judge.temperature,
        seed=None if judge.seed is None else judge.seed + item.sample,
        json_schema=protocol.schema() if judge.structured else None,
        top_logprobs=5 if judge.logprobs else None,
    )
    info = {"model": item.model, "reference": item.reference, "prompt_id": item.prompt_id,
            "order": item.order, "sample": item.sample}

    async def run(call: Caller) -> None:
        completion = await call(request)
        verdict = protocol.parse(completion, use_logprobs=judge.logprobs)
        tokens = completion.usage
        if verdict is None:
            store.put_judgment(item.key, status="parse_failure", raw=completion.text, info=info,
                               prompt_tokens=tokens.prompt_tokens, completion_tokens=tokens.completion_tokens)
            return
        preference = None
        if verdict.preference_a is not None:
            preference = verdict.preference_a if item.order == "AB" else 1.0 - verdict.preference_a
        store.put_judgment(
            item.key, status="ok", label=verdict.label, preference=preference, score=verdict.score,
            reasoning=verdict.reasoning, raw=completion.text, info=info,
            prompt_tokens=tokens.prompt_tokens, completion_tokens=tokens.completion_tokens,
        )

    def on_error(e: BackendError) -> None:
        store.put_judgment(item.key, status="error", error=f"{type(e).__name__}: {e}", info=info)

    return Job(key=item.key, endpoint=endpoint, run=run, on_error=on_error,
               tokens_bound=(input_tokens_bound(request), judge.max_tokens))


def todo(store: Store, judge: JudgeSpec, planned: Sequence[PlannedJudgment]) -> tuple[list[PlannedJudgment], int]:
    """Judgments to request now, and how many wait on a missing response.

    Requested: never stored, stored as errors, or parse failures with attempts left.
    """
    have = store.judgments(p.key for p in planned)
    responses = store.responses(
        [p.model_response for p in planned] + [p.reference_response for p in planned if p.reference_response]
    )
    ready: list[PlannedJudgment] = []
    blocked = 0
    for p in planned:
        row = have.get(p.key)
        if row is not None and (row.status == "ok" or (row.status == "parse_failure" and row.attempts > judge.max_parse_retries)):
            continue
        needed = [p.model_response] + ([p.reference_response] if p.reference_response else [])
        if any(k not in responses or responses[k].status != "ok" for k in needed):
            blocked += 1
            continue
        ready.append(p)
    return ready, blocked
