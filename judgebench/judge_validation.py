"""Run a suite's judge (its endpoint, rubric and protocol) on human-labelled pairs.

Each pair is judged in both orders (judgebench.validation.judge_pairs) exactly as the suite
would judge a model against a reference: same template, same request parameters, same parser.
A verdict is read as A / B / tie from its preference for the response shown first, so every
pairwise protocol works: lima's "neither" and pairwise-5's "A=B" are ties, "A>B" and "A>>B" are A.
Failed requests stop the run (they are errors, not verdicts); unparseable answers are recorded
as such and counted by the metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from judgebench.backends.base import BackendError, ConnectionFailure
from judgebench.engine import Budget, Caller, RunStats
from judgebench.errors import ConfigError, EndpointUnavailable, RunFailed
from judgebench.judge import render_for
from judgebench.records import CompletionRequest, Message, Prompt
from judgebench.validation import LabelledPair, ValidationReport, judge_pairs, score_recorded, shown


def _label(preference_a: float) -> str:
    return "A" if preference_a > 0.5 else "B" if preference_a < 0.5 else "tie"


def run_suite_judge(suite_path: Path, pairs: Sequence[LabelledPair], env: Mapping[str, str]) -> ValidationReport:
    """Judge ``pairs`` in both orders with the suite's judge and score the verdicts against their labels."""
    from judgebench import pipeline

    prepared = pipeline.prepare(suite_path, env)
    suite, rubric = prepared.suite, prepared.rubric
    protocol = rubric.protocol
    if protocol.kind != "pairwise":
        raise ConfigError(
            f"validate-judge compares two responses, but the suite's protocol {protocol.name!r} grades one.",
            "Point --suite at a suite whose judge uses a pairwise protocol (pairwise, lima, pairwise-5).",
        )
    if protocol.needs_reference_answer:
        raise ConfigError(
            f"Protocol {protocol.name!r} needs a reference answer, which labelled pairs do not have.",
            "Validate with the pairwise rubric, or another protocol that needs no reference_answer.",
        )
    judge = suite.judge

    async def run() -> ValidationReport:
        with ExitStack() as stack:
            log_dir = pipeline.default_store(suite_path).parent / "logs" / time.strftime("validate-%Y%m%d-%H%M%S")
            router = pipeline.Router(prepared, env, log_dir, stack)
            try:
                endpoint_id, served = await asyncio.to_thread(router.route, judge, "the judge")
                endpoint = router.endpoints[endpoint_id]
                caller = Caller(endpoint, suite.retry, Budget(), RunStats())

                async def judge_fn(pair: LabelledPair, order: str) -> str | None:
                    first, second = shown(pair, order)
                    prompt = Prompt(id=pair.id, turns=(pair.prompt,))
                    text = render_for(rubric, prompt, (first, [first]), (second, [second]))
                    messages = ([Message("system", judge.system_prompt)] if judge.system_prompt else [])
                    request = CompletionRequest(
                        model=served, messages=(*messages, Message("user", text)), max_tokens=judge.max_tokens,
                        temperature=judge.temperature, seed=judge.seed,
                        json_schema=protocol.schema() if judge.structured else None,
                        top_logprobs=5 if judge.logprobs else None,
                    )
                    verdict = protocol.parse(await caller(request), use_logprobs=judge.logprobs)
                    if verdict is None or verdict.preference_a is None:
                        return None
                    return _label(verdict.preference_a)

                try:
                    recorded = await judge_pairs(pairs, judge_fn, judge.concurrency)
                except ConnectionFailure as e:
                    raise EndpointUnavailable(f"Cannot reach {endpoint.describe}: {e}.",
                                              "Check that the judge's server is running and `base_url` is right.") from None
                except BackendError as e:
                    raise RunFailed(f"A judge request failed after retries: {e}.",
                                    "Nothing was scored; rerun when the endpoint is healthy.") from None
                return score_recorded(pairs, recorded)
            finally:
                await router.aclose()

    return asyncio.run(run())
