"""Verdict parsing reads only the completion: JSON first, then the last [[X]] tag."""

from __future__ import annotations

from judgebench.protocols import PAIRWISE, SINGLE
from judgebench.records import Completion


def parse(text: str):  # type: ignore[no-untyped-def]
    return PAIRWISE.parse(Completion(text=text))


def test_json_verdict() -> None:
    v = parse('{"reasoning": "B is correct", "verdict": "B"}')
    assert v is not None and v.label == "B" and v.preference_a == 0.0 and v.reasoning == "B is correct"


def test_bracket_fallback_uses_the_last_tag() -> None:
    v = parse("At first I thought [[A]], but on reflection the verdict is [[C]]")
    assert v is not None and v.label == "tie" and v.preference_a == 0.5


def test_json_embedded_in_text_and_truncated_json() -> None:
    assert parse('Sure! {"reasoning": "x", "verdict": "A"} done').label == "A"  # type: ignore[union-attr]
    assert parse('{"reasoning": "long and cut off", "verdict": "B", "extra').label == "B"  # type: ignore[union-attr]


def test_garbage_is_a_parse_failure_not_a_tie() -> None:
    assert parse("I like both of them a lot.") is None
    assert parse('{"reasoning": "x", "verdict": "maybe"}') is None
    assert parse("") is None


def test_single_score() -> None:
    assert SINGLE.parse(Completion('{"reasoning": "ok", "score": 7}')).score == 7  # type: ignore[union-attr]
    assert SINGLE.parse(Completion("Rating: [[9]]")).score == 9  # type: ignore[union-attr]
    assert SINGLE.parse(Completion('{"reasoning": "ok", "score": 42}')) is None
