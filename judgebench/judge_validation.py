"""A suite's judge on human-labelled pairs: judged by the same Judge as ``run``, stored like any judgment.

Each pair is judged in both orders with the suite's :class:`~judgebench.judge.Judge` (same
template, request parameters and parser as its leaderboard). A pair's two responses get content
keys of their own (the prompt and the text), so a verdict's key is an ordinary judgment key: a
rerun sends nothing, and a changed judge or rubric re-judges. A verdict is read as A / B / tie
from its preference for ``response_a``, so every pairwise protocol works (lima's "neither" and
pairwise-5's "A=B" are ties).

``judge: {validation: [...]}`` in a suite names sets to check the judge on: ``run`` judges them
in its judge stage (:func:`validation_work`) and every report reads them back
(:func:`judge_credentials`, never a request) into the leaderboard's ``judge_credentials``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebench import interrupt
from judgebench.config import ValidationSetSpec
from judgebench.engine import Budget, Job, NullProgress, Progress, execute
from judgebench.errors import ConfigError, RunFailed
from judgebench.hashing import content_hash
from judgebench.judge import Judge
from judgebench.prepared import Prepared
from judgebench.records import Prompt
from judgebench.scoring import margin
from judgebench.store import Store
from judgebench.validation import LabelledPair, ValidationReport, load_pairs, score_recorded
from judgebench.validation.credentials import StoredVerdict, credentials
from judgebench.validation.pairs import Label, RecordedVerdict


def check_pairwise(judge: Judge) -> None:
    protocol = judge.protocol
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


def response_keys(pair: LabelledPair) -> tuple[str, str]:
    """Content keys of a pair's two responses (the prompt and the text; never the pair's id)."""
    return tuple(content_hash({"kind": "labelled-response", "prompt": pair.prompt, "text": text})  # type: ignore[return-value]
                 for text in (pair.response_a, pair.response_b))


def judgment_keys(judge: Judge, pair: LabelledPair) -> dict[str, str]:
    a, b = response_keys(pair)
    return {"AB": judge.key(a, b, "AB"), "BA": judge.key(b, a, "BA")}


def todo(judge: Judge, store: Store, pairs: Sequence[LabelledPair]) -> list[tuple[LabelledPair, str, str]]:
    """(pair, order, key) of every verdict not stored yet (errors and retryable parse failures too)."""
    keys = [(p, order, key) for p in pairs for order, key in judgment_keys(judge, p).items()]
    have = store.statuses("judgments", (k for _, _, k in keys))
    return [item for item in keys if not judge.settled(have.get(item[2]))]


def jobs(judge: Judge, store: Store, items: Sequence[tuple[LabelledPair, str, str]], served: str, lane: str,
         set_name: str) -> Iterator[Job]:
    for pair, order, key in items:
        first, second = (pair.response_a, pair.response_b) if order == "AB" else (pair.response_b, pair.response_a)
        text = judge.render(Prompt(id=pair.id, turns=(pair.prompt,)), (first, [first]), (second, [second]))
        info = {"validation": set_name, "pair_id": pair.id, "order": order}
        yield judge.job(store, key, judge.request(served, text), order, info, lane)


def _winner(preference: float | None) -> Label | None:
    if preference is None:
        return None
    return "A" if preference > 0.5 else "B" if preference < 0.5 else "tie"


def stored_verdicts(judge: Judge, store: Store, pairs: Sequence[LabelledPair]) -> list[StoredVerdict]:
    """What the store holds for ``pairs`` under ``judge``, in the pairs' frame (nothing is requested)."""
    keys = {(p.id, order): key for p in pairs for order, key in judgment_keys(judge, p).items()}
    rows = store.judgments(keys.values())
    out = []
    for (pair_id, order), key in keys.items():
        row = rows.get(key)
        if row is None:
            continue
        ok = row.status == "ok"
        out.append(StoredVerdict(pair_id, order, row.status,  # type: ignore[arg-type]
                                 _winner(row.preference) if ok else None,
                                 margin(row.info.get("label_logprobs"), judge.protocol) if ok else None))
    return out


def report_of(pairs: Sequence[LabelledPair], verdicts: Sequence[StoredVerdict],
              credential: dict[str, Any] | None) -> ValidationReport:
    recorded = [RecordedVerdict(v.pair_id, v.order, v.winner) for v in verdicts if v.status != "error"]
    report = score_recorded(pairs, recorded)
    return report.with_credentials(credential)


# -- suite validation sets ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedSet:
    spec: ValidationSetSpec
    pairs: list[LabelledPair]


def load_set(spec: ValidationSetSpec) -> LoadedSet:
    pairs = load_pairs(spec.pairs)
    return LoadedSet(spec, pairs[: spec.limit] if spec.limit else pairs)


def published_accuracies(path: Path, pairs: Sequence[LabelledPair]) -> dict[str, float]:
    """Accuracy of the judges whose verdicts the data ships beside the pairs, on the same pairs.

    LLMBar keeps ``evaluators/<judge>/Vanilla*/result.json`` next to each ``dataset.json``.
    """
    from judgebench.validation import load_verdicts

    out: dict[str, float] = {}
    folder = path.parent / "evaluators"
    if path.is_dir() or not folder.is_dir():
        return out
    ids = {p.id for p in pairs}
    for result in sorted(folder.glob("*/Vanilla/result.json")):
        try:
            recorded = [v for v in load_verdicts(result, "llmbar") if v.pair_id in ids]
        except ConfigError:
            continue
        accuracy = score_recorded(pairs, recorded).accuracy
        if accuracy is not None:
            out[result.parent.parent.name] = accuracy
    return out


def validation_work(prepared: Prepared, store: Store) -> tuple[int, Any]:
    """(verdicts to request, ``make(served, lane)`` -> their jobs) for the suite's validation sets."""
    sets = prepared.suite.judge.validation
    if not sets:
        return 0, lambda served, lane: iter(())
    judge = Judge(prepared.suite.judge, prepared.rubric)
    check_pairwise(judge)
    loaded = [load_set(spec) for spec in sets]
    pending = [(s.spec.name, todo(judge, store, s.pairs)) for s in loaded]

    def make(served: str, lane: str) -> Iterator[Job]:
        for name, items in pending:
            yield from jobs(judge, store, items, served, lane, name)

    return sum(len(items) for _, items in pending), make


def judge_credentials(prepared: Prepared, store: Store) -> list[dict[str, Any]]:
    """The judge's credentials on each of the suite's validation sets, from stored verdicts only.

    A set with no stored verdict yet (never run) is left out. Sets whose pairs file is missing on
    this machine (a report from the store alone) are left out too.
    """
    suite = prepared.suite
    if not suite.judge.validation:
        return []
    judge = Judge(suite.judge, prepared.rubric)
    if judge.protocol.kind != "pairwise" or judge.protocol.needs_reference_answer:
        return []
    out = []
    for spec in suite.judge.validation:
        if not Path(spec.pairs).exists():
            continue
        loaded = load_set(spec)
        cred = credentials(spec.name, loaded.pairs, stored_verdicts(judge, store, loaded.pairs), judge.spec.scoring,
                           rounds=suite.stats.bootstrap_rounds, seed=suite.stats.seed, level=suite.stats.level,
                           published=published_accuracies(Path(spec.pairs), loaded.pairs))
        if cred is not None:
            out.append(cred)
    return out


# -- validate-judge -------------------------------------------------------------------------------


def run_suite_judge(suite_path: Path, pairs: Sequence[LabelledPair], env: Mapping[str, str], *,
                    store_path: Path | None = None, scoring: str | None = None, name: str | None = None,
                    published: Mapping[str, float] | None = None, progress: Progress | None = None,
                    ) -> ValidationReport:
    """Judge ``pairs`` in both orders with the suite's judge, store the verdicts, score them.

    Only verdicts the store lacks are requested, into the suite's store (``store_path``).
    ``scoring`` overrides ``judge.scoring`` (debiased-logprob asks for logprobs).
    """
    from judgebench.endpoints import Router
    from judgebench.prepared import default_store, load

    prepared = load(suite_path)
    suite = prepared.suite
    spec = suite.judge if scoring is None else suite.judge.model_copy(update={"scoring": scoring})
    judge = Judge(spec, prepared.rubric)
    check_pairwise(judge)
    store_path = store_path or default_store(suite_path)

    async def request(store: Store, items: list[tuple[LabelledPair, str, str]], stack: ExitStack) -> int:
        log_dir = store_path.parent / "logs" / time.strftime("validate-%Y%m%d-%H%M%S")
        router = Router(prepared, env, log_dir, stack)
        try:
            lane, served = await asyncio.to_thread(router.route, spec, "the judge")
            stats = await execute({lane: jobs(judge, store, items, served, lane, name or "validate-judge")},
                                  router.endpoints, retry=suite.retry, budget=Budget(),
                                  progress=progress or NullProgress(), stage="validate", total=len(items))
            return stats.errors
        finally:
            await router.aclose()

    with ExitStack() as stack:
        store = stack.enter_context(Store(store_path))
        items = todo(judge, store, pairs)
        errors = interrupt.run(request(store, items, stack)) if items else 0
        if errors:
            raise RunFailed(f"{errors} judge request(s) failed after retries (stored as errors, never as verdicts).",
                            "Nothing was scored; rerun when the endpoint is healthy: only what failed is requested.")
        verdicts = stored_verdicts(judge, store, pairs)
    cred = credentials(name or "pairs", pairs, verdicts, spec.scoring, rounds=suite.stats.bootstrap_rounds,
                       seed=suite.stats.seed, level=suite.stats.level, published=published)
    return report_of(pairs, verdicts, cred)
