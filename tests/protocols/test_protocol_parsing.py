"""Every protocol's parser: JSON verdicts, the [[X]] fallback, garbage as a parse failure, weights."""

from __future__ import annotations

import math
from typing import Any

import pytest

from judgebench.judge import render_for
from judgebench.parsing import label_probabilities
from judgebench.protocols import (
    ABSOLUTE,
    LIMA,
    PAIRWISE,
    PAIRWISE_5,
    REFERENCE_GUIDED,
    REGISTRY,
    SINGLE,
    Protocol,
)
from judgebench.records import Completion, Prompt, TokenLogprobs
from judgebench.rubrics import load_rubric
from judgebench.testing.openai_server import logprob_reply, tokenize


def parse(protocol: Protocol, text: str, logprobs: tuple[TokenLogprobs, ...] | None = None, use: bool = False) -> Any:
    return protocol.parse(Completion(text=text, logprobs=logprobs), use_logprobs=use)


@pytest.mark.parametrize(
    ("protocol", "text", "label", "preference"),
    [
        (PAIRWISE, '{"reasoning": "r", "verdict": "B"}', "B", 0.0),
        (LIMA, '{"reasoning": "r", "verdict": "neither"}', "neither", 0.5),
        (LIMA, "A is clearly better. [[A]]", "A", 1.0),
        (LIMA, "Both are fine: [[C]]", "neither", 0.5),
        (PAIRWISE_5, '{"reasoning": "r", "verdict": "A>>B"}', "A>>B", 1.0),
        (PAIRWISE_5, '{"reasoning": "r", "verdict": "A>B"}', "A>B", 0.75),
        (PAIRWISE_5, '{"reasoning": "r", "verdict": "A = B"}', "A=B", 0.5),
        (PAIRWISE_5, "My final verdict is [[B>A]]", "B>A", 0.25),
        (PAIRWISE_5, "My final verdict is [[B >> A]]", "B>>A", 0.0),
        (REFERENCE_GUIDED, '{"reasoning": "matches the reference", "verdict": "tie"}', "tie", 0.5),
    ],
)
def test_pairwise_protocols_read_json_and_tags(protocol: Protocol, text: str, label: str, preference: float) -> None:
    v = parse(protocol, text)
    assert v is not None and v.label == label and v.preference_a == preference


@pytest.mark.parametrize("protocol", [p for p in REGISTRY.values()])
def test_garbage_is_a_parse_failure_for_every_protocol(protocol: Protocol) -> None:
    for text in ("I like both a lot.", '{"reasoning": "x", "verdict": "maybe"}', '{"score": 99}', "", "[[Z]]"):
        assert parse(protocol, text) is None, (protocol.name, text)


def test_strong_verdicts_weigh_double_a_slight_one() -> None:
    pref = PAIRWISE_5.preference
    assert pref["A>>B"] - 0.5 == 2 * (pref["A>B"] - 0.5)
    assert pref["B>>A"] - 0.5 == 2 * (pref["B>A"] - 0.5)
    # Symmetric, so undoing the order (1 - p) maps every label onto its mirror image.
    for label, mirror in (("A>>B", "B>>A"), ("A>B", "B>A"), ("A=B", "A=B")):
        assert pref[label] == 1 - pref[mirror]


def test_absolute_grades_and_single_scores() -> None:
    assert parse(ABSOLUTE, '{"reasoning": "r", "verdict": "Excellent"}').score == 2.0
    assert parse(ABSOLUTE, "Not good. [[Fail]]").score == 0.0
    assert parse(ABSOLUTE, '{"reasoning": "r", "verdict": "pass"}').label == "Pass"
    assert parse(SINGLE, "Rating: [[8]]").score == 8


def _logprobs(text: str, alternatives: dict[str, float]) -> tuple[TokenLogprobs, ...]:
    reply = logprob_reply(text, alternatives)
    assert reply.tokens is not None
    return tuple(TokenLogprobs(t, top) for t, top in reply.tokens)


def test_logprobs_are_read_at_the_verdict_token_not_in_the_reasoning() -> None:
    text = '{"reasoning": "A is good but B is better", "verdict": "B"}'
    lps = _logprobs(text, {"B": 0.6, "A": 0.3, "tie": 0.1})
    # The reasoning's "A" comes first; reading it there would give A all the mass.
    assert tokenize(text)[tokenize(text).index("A")] == "A"
    probs = label_probabilities(lps, PAIRWISE.logprob_tokens)
    assert probs is not None and math.isclose(probs["B"], 0.6) and math.isclose(probs["A"], 0.3)
    v = parse(PAIRWISE, text, lps, use=True)
    assert v is not None and v.label == "B" and math.isclose(v.preference_a, 0.3 + 0.05)


def test_logprobs_after_a_bracket_tag_and_clean_fallbacks() -> None:
    text = "A is shorter. Verdict: [[A]]"
    reply = logprob_reply(text, {"A": 0.8, "B": 0.2}, after="[[")
    lps = tuple(TokenLogprobs(t, top) for t, top in reply.tokens or ())
    v = parse(PAIRWISE, text, lps, use=True)
    assert v is not None and math.isclose(v.preference_a, 0.8)
    # No logprobs, logprobs off, or no label among the alternatives: the discrete verdict stands.
    assert parse(PAIRWISE, text, None, use=True).preference_a == 1.0
    assert parse(PAIRWISE, text, lps, use=False).preference_a == 1.0
    odd = tuple(TokenLogprobs(t.token, {"zzz": 0.0}) for t in lps)
    assert parse(PAIRWISE, text, odd, use=True).preference_a == 1.0


def test_logprob_weighted_grades_and_protocols_without_distinct_tokens() -> None:
    text = '{"reasoning": "fine", "verdict": "Pass"}'
    v = parse(ABSOLUTE, text, _logprobs(text, {"Pass": 0.5, "Excellent": 0.5}), use=True)
    assert v is not None and math.isclose(v.score, 1.5)
    assert LIMA.supports_logprobs and not PAIRWISE_5.supports_logprobs
    text5 = '{"reasoning": "r", "verdict": "A>B"}'
    assert parse(PAIRWISE_5, text5, _logprobs(text5, {"A": 0.9, "B": 0.1}), use=True).preference_a == 0.75


MULTI = Prompt(id="m", turns=("First question?", "Second question?"), reference_answer="The expert answer.")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_builtin_rubric_shows_the_whole_dialogue(name: str) -> None:
    rubric = load_rubric(name)
    assert rubric.protocol.name == name
    a = ("final A", ["answer A one", "answer A two"])
    b = ("final B", ["answer B one", "answer B two"])
    text = render_for(rubric, MULTI, a, b if rubric.protocol.kind == "pairwise" else None)
    for needle in ("First question?", "Second question?", "answer A one", "answer A two"):
        assert needle in text, (name, needle)
    if rubric.protocol.kind == "pairwise":
        assert "answer B one" in text and "answer B two" in text
    if rubric.protocol.needs_reference_answer:
        assert "The expert answer." in text
    single_turn = Prompt(id="s", turns=("Only question?",), reference_answer="Ref.")
    text = render_for(rubric, single_turn, ("resp A", ["resp A"]), ("resp B", ["resp B"]) if rubric.protocol.kind == "pairwise" else None)
    assert "Only question?" in text and "resp A" in text and not text.startswith("\n")
