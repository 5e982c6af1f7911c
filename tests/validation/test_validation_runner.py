"""The runner with deterministic fake judge functions (no backend, no clock)."""

from __future__ import annotations

import asyncio

import pytest

from judgebench.validation import LabelledPair, RecordedVerdict, judge_pairs, shown, validate_judge

PAIRS = [
    LabelledPair("short-wins", "q", "ok", "a much longer answer", ("A",)),
    LabelledPair("long-wins", "q", "a much longer answer", "ok", ("A",)),
    LabelledPair("b-long", "q", "ok", "a much longer answer", ("B",)),
    LabelledPair("b-short", "q", "a much longer answer", "ok", ("B",)),
]


async def always_first(pair: LabelledPair, order: str) -> str | None:
    return "A"


async def prefers_longer(pair: LabelledPair, order: str) -> str | None:
    first, second = shown(pair, order)
    return "A" if len(first) > len(second) else "B"


def test_shown_swaps_for_ba() -> None:
    assert shown(PAIRS[0], "AB") == ("ok", "a much longer answer")
    assert shown(PAIRS[0], "BA") == ("a much longer answer", "ok")
    with pytest.raises(ValueError):
        shown(PAIRS[0], "AA")


def test_always_first_judge_has_no_positional_agreement() -> None:
    verdicts = asyncio.run(judge_pairs(PAIRS, always_first, concurrency=3))
    assert verdicts[:2] == [
        RecordedVerdict("short-wins", "AB", "A"),
        RecordedVerdict("short-wins", "BA", "B"),
    ]
    report = asyncio.run(validate_judge(PAIRS, always_first, concurrency=3))
    assert report.positional_agreement == 0
    assert report.accuracy == pytest.approx(0.5)
    assert (report.accuracy_ab, report.accuracy_ba) == (0.5, 0.5)


def test_position_blind_judge_agrees_with_itself() -> None:
    report = asyncio.run(validate_judge(PAIRS, prefers_longer, concurrency=1))
    assert report.positional_agreement == 1
    assert report.accuracy == pytest.approx(0.5)  # longer is right in "long-wins" and "b-long"
    verdicts = asyncio.run(judge_pairs(PAIRS, prefers_longer, concurrency=2))
    assert [v.winner for v in verdicts] == ["B", "B", "A", "A", "B", "B", "A", "A"]


def test_parse_failures_are_counted_not_tied() -> None:
    async def fails_when_swapped(pair: LabelledPair, order: str) -> str | None:
        return None if order == "BA" else "tie"

    report = asyncio.run(validate_judge(PAIRS, fails_when_swapped, concurrency=4))
    assert report.parse_failures == {"AB": 0, "BA": 4}
    assert report.positional_agreement == 0
    assert report.accuracy == 0


def test_contract_violations_and_errors_raise() -> None:
    async def says_c(pair: LabelledPair, order: str) -> str | None:
        return "C"

    with pytest.raises(ValueError, match="'C'"):
        asyncio.run(judge_pairs(PAIRS, says_c, concurrency=2))

    class Down(Exception):
        pass

    async def broken(pair: LabelledPair, order: str) -> str | None:
        raise Down

    with pytest.raises(Down):  # the original error, not an ExceptionGroup
        asyncio.run(judge_pairs(PAIRS, broken, concurrency=2))
    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(judge_pairs(PAIRS, always_first, concurrency=0))


def test_concurrency_bound_and_stable_output_order() -> None:
    in_flight = peak = 0

    async def slow_for_early_pairs(pair: LabelledPair, order: str) -> str | None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(10 - PAIRS.index(pair)):  # early pairs finish last
            await asyncio.sleep(0)
        in_flight -= 1
        return "A"

    verdicts = asyncio.run(judge_pairs(PAIRS, slow_for_early_pairs, concurrency=3))
    assert peak == 3
    assert [(v.pair_id, v.order) for v in verdicts] == [(p.id, o) for p in PAIRS for o in ("AB", "BA")]
