"""The judge: one object -- rubric, protocol, request parameters, parsing -- for every caller.

``run`` judges models against references with it, ``rubric render`` shows its request, and
``validate-judge`` judges labelled pairs with it, so what is validated is exactly what is used.

Every stored verdict is un-ordered so it reads "model vs reference" (for a labelled pair:
"response_a vs response_b"): a preference of 1 means the first-named response won whichever side
it was shown on. Unparseable answers are stored as ``parse_failure`` (re-requested on later runs
up to ``judge.max_parse_retries``), never as ties or losses. When logprobs were asked for, the
judge's log-probability of each label at the verdict token is kept (``info.label_logprobs``, in
the presented frame), which is what position-debiased scoring (:mod:`judgebench.scoring`) reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from judgebench import plan as planning
from judgebench.backends.base import BackendError
from judgebench.config import JudgeSpec, Suite
from judgebench.engine import Budget, Caller, Job, Progress, StageResult, execute, input_tokens_bound
from judgebench.parsing import label_logprobs
from judgebench.records import Completion, CompletionRequest, Message, Prompt, Usage
from judgebench.rubrics import Rubric
from judgebench.store import Store

if TYPE_CHECKING:
    from judgebench.endpoints import Router

Shown = tuple[str, list[str]]
"""A response as the judge sees it: (final text, every turn's answer)."""

TOP_LOGPROBS = 5


@dataclass(frozen=True)
class Reading:
    """What one judge answer says, read back into the un-ordered frame."""

    status: str  # "ok" | "parse_failure"
    raw: str
    usage: Usage = Usage()
    label: str | None = None
    preference: float | None = None
    score: float | None = None
    reasoning: str = ""
    label_logprobs: dict[str, float] | None = None
    """Log of the judge's probability of each label at the verdict token, as presented (A = shown first)."""


def _conversation(prompt: Prompt, answers: list[str]) -> list[dict[str, str]]:
    return [{"user": u, "assistant": a} for u, a in zip(prompt.turns, answers, strict=False)]


def render_for(rubric: Rubric, prompt: Prompt, first: Shown, second: Shown | None) -> str:
    """The exact text the judge sees."""
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


class Judge:
    """A judge spec and its rubric: keys, requests and readings of its verdicts."""

    def __init__(self, spec: JudgeSpec, rubric: Rubric) -> None:
        spec = planning.effective_judge(spec)  # debiased scoring asks for logprobs
        self.spec = spec
        self.rubric = rubric
        self.protocol = rubric.protocol
        self._keys = planning.JudgmentKeys(spec, rubric.hash)

    @property
    def pairwise(self) -> bool:
        return self.protocol.kind == "pairwise"

    def key(self, first: str, second: str | None, order: str, sample: int = 0) -> str:
        return self._keys.key(first, second, order, sample)

    def render(self, prompt: Prompt, first: Shown, second: Shown | None) -> str:
        return render_for(self.rubric, prompt, first, second)

    def messages(self, text: str) -> tuple[Message, ...]:
        system = [Message("system", self.spec.system_prompt)] if self.spec.system_prompt else []
        return (*system, Message("user", text))

    def request(self, served_model: str, text: str, sample: int = 0) -> CompletionRequest:
        spec = self.spec
        return CompletionRequest(
            model=served_model,
            messages=self.messages(text),
            max_tokens=spec.max_tokens,
            temperature=spec.temperature,
            seed=None if spec.seed is None else spec.seed + sample,
            json_schema=self.protocol.schema(spec.reasoning) if spec.structured else None,
            top_logprobs=TOP_LOGPROBS if spec.logprobs else None,
        )

    def describe_request(self, text: str) -> dict[str, Any]:
        """The request as a person reads it (``rubric render --json``): nothing is sent."""
        spec = self.spec
        return {
            "model": spec.model, "messages": [m.to_openai() for m in self.messages(text)],
            "temperature": spec.temperature, "max_tokens": spec.max_tokens,
            "response_format": self.protocol.schema(spec.reasoning) if spec.structured else None,
            "top_logprobs": TOP_LOGPROBS if spec.logprobs else None,
            "rubric": self.rubric.name, "protocol": self.protocol.name,
        }

    def read(self, completion: Completion, order: str) -> Reading:
        """Parse an answer; a pairwise preference is turned into the un-ordered frame."""
        verdict = self.protocol.parse(completion, use_logprobs=self.spec.logprobs)
        usage = completion.usage
        if verdict is None:
            return Reading("parse_failure", completion.text, usage)
        preference = verdict.preference_a
        if preference is not None and order == "BA":
            preference = 1.0 - preference
        logs = None
        if self.spec.logprobs and completion.logprobs and self.protocol.logprob_tokens:
            logs = label_logprobs(completion.logprobs, self.protocol.logprob_tokens)
        return Reading("ok", completion.text, usage, verdict.label, preference, verdict.score, verdict.reasoning, logs)

    def job(self, store: Store, key: str, request: CompletionRequest, order: str, info: dict[str, Any],
            endpoint: str) -> Job:
        """A job that sends ``request`` and stores what the answer says (or the error) under ``key``."""

        async def run(call: Caller) -> None:
            store_reading(store, key, self.read(await call(request), order), info)

        def on_error(e: BackendError) -> None:
            store.put_judgment(key, status="error", error=f"{type(e).__name__}: {e}", info=info)

        return Job(key=key, endpoint=endpoint, run=run, on_error=on_error,
                   tokens_bound=(input_tokens_bound(request), self.spec.max_tokens))

    def settled(self, row: tuple[str, int] | None) -> bool:
        """A stored judgment that is final: ok, or a parse failure with no attempts left."""
        return row is not None and (row[0] == "ok" or (row[0] == "parse_failure"
                                                        and row[1] > self.spec.max_parse_retries))

    # -- the judge stage of a suite ---------------------------------------------------------

    def todo(self, store: Store, planned: Sequence[planning.PlannedJudgment]) -> tuple[list[planning.PlannedJudgment], int]:
        """Judgments to request now, and how many wait on a missing response.

        Requested: never stored, stored as errors, or parse failures with attempts left.
        """
        have = store.statuses("judgments", (p.key for p in planned))
        responses = store.statuses(
            "responses", [k for p in planned for k in (p.model_response, p.reference_response) if k])
        ready: list[planning.PlannedJudgment] = []
        blocked = 0
        for p in planned:
            if self.settled(have.get(p.key)):
                continue
            needed = [p.model_response] + ([p.reference_response] if p.reference_response else [])
            if any(responses.get(k, ("missing", 0))[0] != "ok" for k in needed):
                blocked += 1
                continue
            ready.append(p)
        return ready, blocked

    def jobs(self, store: Store, prompts: Mapping[str, Prompt], planned: Iterable[planning.PlannedJudgment],
             served: str, endpoint: str) -> Iterator[Job]:
        """Jobs for what ``planned`` still needs, looked up and rendered a chunk at a time."""
        for chunk in planning.chunks(planned):
            ready, _ = self.todo(store, chunk)
            rows = store.responses({k for p in ready for k in (p.model_response, p.reference_response) if k})

            for item in ready:
                first, second = item.shown
                text = self.render(prompts[item.prompt_id], _shown(rows, first),
                                   _shown(rows, second) if second else None)
                info = {"model": item.model, "reference": item.reference, "prompt_id": item.prompt_id,
                        "order": item.order, "sample": item.sample}
                yield self.job(store, item.key, self.request(served, text, item.sample), item.order, info, endpoint)


def _shown(rows: Mapping[str, Any], key: str) -> Shown:
    row = rows[key]
    return row.text or "", list(row.info.get("answers") or [row.text or ""])


def store_reading(store: Store, key: str, reading: Reading, info: dict[str, Any]) -> None:
    tokens = reading.usage
    if reading.label_logprobs:
        info = info | {"label_logprobs": reading.label_logprobs}
    if reading.status != "ok":
        store.put_judgment(key, status="parse_failure", raw=reading.raw, info=info,
                           prompt_tokens=tokens.prompt_tokens, completion_tokens=tokens.completion_tokens)
        return
    store.put_judgment(
        key, status="ok", label=reading.label, preference=reading.preference, score=reading.score,
        reasoning=reading.reasoning, raw=reading.raw, info=info,
        prompt_tokens=tokens.prompt_tokens, completion_tokens=tokens.completion_tokens,
    )


@dataclass
class _Counts:
    planned: int = 0
    ready: int = 0
    blocked: int = 0


def count(judge: Judge, store: Store, planned: Iterable[planning.PlannedJudgment]) -> _Counts:
    out = _Counts()
    for chunk in planning.chunks(planned):
        ready, blocked = judge.todo(store, chunk)
        out.planned += len(chunk)
        out.ready += len(ready)
        out.blocked += blocked
    return out


async def stage(suite: Suite, prompts: Sequence[Prompt], rubric: Rubric, store: Store, router: Router,
                models: Sequence[str], budget: Budget, progress: Progress,
                extra: Callable[[str, str], Iterable[Job]] | None = None, extra_count: int = 0) -> StageResult:
    """Judge what ``models`` lack, and ``extra_count`` more jobs for the same judge on its lane
    (``extra(served, lane)``: its validation sets)."""
    from itertools import chain

    judge = Judge(suite.judge, rubric)
    counts = count(judge, store, planning.judgments(suite, prompts, rubric, models))
    todo = counts.ready + extra_count
    if not todo:
        return StageResult("judge", counts.planned, 0, blocked=counts.blocked)
    lane, served = await asyncio.to_thread(router.route, suite.judge, "the judge")
    by_id = {p.id: p for p in prompts}
    stream = chain(judge.jobs(store, by_id, planning.judgments(suite, prompts, rubric, models), served, lane),
                   extra(served, lane) if extra is not None else ())
    stats = await execute({lane: stream}, router.endpoints, retry=suite.retry, budget=budget, progress=progress,
                          stage="judge", total=todo)
    return StageResult("judge", counts.planned, todo, stats, counts.blocked)
