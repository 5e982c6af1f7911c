"""Run a judge on labelled pairs in both orders and record what it said, in the pair's frame.

The judge is one async function, so this module knows nothing about backends or rubrics:

    async def judge(pair: LabelledPair, order: str) -> str | None:
        first, second = shown(pair, order)      # what to present as "A" and as "B"
        ...                                     # render the rubric, call the model, parse
        return "A" | "B" | "tie" | None         # about the responses *as shown*; None = unparseable

An exception raised by the judge (a request that failed after retries) stops the run: that is
an error, not a verdict, and is never recorded as a tie or a loss.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from judgebench.validation.metrics import ValidationReport, score_recorded
from judgebench.validation.pairs import LABELS, ORDERS, Label, LabelledPair, Order, RecordedVerdict

JudgeFn = Callable[[LabelledPair, str], Awaitable[str | None]]

_UNSWAP: dict[str, Label] = {"A": "B", "B": "A", "tie": "tie"}


def shown(pair: LabelledPair, order: str) -> tuple[str, str]:
    """The responses in the order the judge sees them: ``(first, second)``."""
    if order not in ORDERS:
        raise ValueError(f"order must be 'AB' or 'BA', not {order!r}")
    return (pair.response_a, pair.response_b) if order == "AB" else (pair.response_b, pair.response_a)


def unswap(label: str | None, order: Order) -> Label | None:
    """Read a verdict about the shown responses back into the pair's frame."""
    if label is None:
        return None
    if label not in LABELS:
        raise ValueError(f"a judge function must return 'A', 'B', 'tie' or None, not {label!r}")
    return _UNSWAP[label] if order == "BA" else label


async def judge_pairs(
    pairs: Sequence[LabelledPair], judge: JudgeFn, concurrency: int
) -> list[RecordedVerdict]:
    """Call ``judge`` for every pair in orders "AB" and "BA", at most ``concurrency`` at a time.

    Returns one verdict per pair and order, in input order (pair by pair, AB before BA), whatever
    order the calls finish in.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    gate = asyncio.Semaphore(concurrency)
    jobs = [(pair, order) for pair in pairs for order in ORDERS]

    async def one(pair: LabelledPair, order: Order) -> RecordedVerdict:
        async with gate:
            label = await judge(pair, order)
        return RecordedVerdict(pair.id, order, unswap(label, order))

    tasks = [asyncio.ensure_future(one(pair, order)) for pair, order in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        # Stop the calls still running and re-raise the first error as itself (no ExceptionGroup),
        # so the CLI's error boundary sees the backend's own exception type.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def validate_judge(pairs: Sequence[LabelledPair], judge: JudgeFn, concurrency: int) -> ValidationReport:
    """Judge the pairs in both orders and score the verdicts against their labels."""
    return score_recorded(pairs, await judge_pairs(pairs, judge, concurrency))
