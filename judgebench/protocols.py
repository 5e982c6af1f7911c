"""Verdict protocols: the JSON schema a judge must answer in, and how to read its answer.

A protocol is data (labels, tags, weights), so adding one is a registry entry, not new code paths.
Pairwise protocols yield a preference for the response shown as A; single-answer protocols yield
a score for one response.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from judgebench.parsing import (
    find_json_object,
    label_from_json,
    label_probabilities,
    last_bracket_number,
    last_bracket_tag,
    number_from_json,
)
from judgebench.records import Completion, Verdict


@dataclass(frozen=True)
class Protocol:
    """How a verdict is asked for and read.

    ``preference`` maps a pairwise label to the preference for A in [0, 1]; ``label_scores``
    maps an absolute label to a score; ``score_range`` bounds numeric grades.
    """

    name: str
    kind: Literal["pairwise", "single"]
    labels: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    preference: Mapping[str, float] = field(default_factory=dict)
    label_scores: Mapping[str, float] = field(default_factory=dict)
    score_range: tuple[float, float] | None = None
    logprob_tokens: Mapping[str, str] = field(default_factory=dict)
    """Token -> label, for logprob weighting (e.g. "A" -> "A"). Empty: the protocol's labels do not
    start with distinct tokens, so verdicts cannot be logprob-weighted."""
    needs_reference_answer: bool = False
    description: str = ""

    def schema(self, reasoning: bool = True) -> dict[str, Any]:
        """JSON schema of the verdict object: reasoning first, so the judge thinks before it decides;
        ``reasoning=False`` asks for the verdict alone (a few tokens instead of a paragraph)."""
        props: dict[str, Any] = {"reasoning": {"type": "string"}} if reasoning else {}
        if self.score_range is not None:
            low, high = self.score_range
            props["score"] = {"type": "integer", "minimum": int(low), "maximum": int(high)}
        else:
            props["verdict"] = {"type": "string", "enum": list(self.labels)}
        return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}

    def parse(self, completion: Completion, use_logprobs: bool = False) -> Verdict | None:
        """A Verdict, or None for a parse failure."""
        text = completion.text
        obj = find_json_object(text)
        reasoning = str(obj.get("reasoning", "")) if obj else ""
        if self.score_range is not None:
            low, high = self.score_range
            score = number_from_json(obj, "score", low, high) if obj else None
            if score is None:
                score = last_bracket_number(text, low, high)
            return None if score is None else Verdict(label=_fmt(score), score=score, reasoning=reasoning or text)
        label = label_from_json(obj, "verdict", self.labels) if obj else None
        if label is None:
            label = _loose_json_label(text, self.labels) or last_bracket_tag(text, self.tags)
        if label is None:
            return None
        values = self.label_scores if self.kind == "single" else self.preference
        value = values[label]
        if use_logprobs and completion.logprobs and self.logprob_tokens:
            # AlpacaEval 2: the expected value under the judge's probability mass on the labels.
            probs = label_probabilities(completion.logprobs, self.logprob_tokens)
            if probs:
                value = sum(p * values[lab] for lab, p in probs.items())
        if self.kind == "single":
            return Verdict(label=label, score=value, reasoning=reasoning or text)
        return Verdict(label=label, preference_a=value, reasoning=reasoning or text)

    @property
    def supports_logprobs(self) -> bool:
        return bool(self.logprob_tokens)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _loose_json_label(text: str, labels: tuple[str, ...]) -> str | None:
    """`"verdict": "A"` inside a truncated or slightly broken JSON answer."""
    matches = re.findall(r'"verdict"\s*:\s*"([^"]{1,16})"', text)
    by_norm = {_norm(lab): lab for lab in labels}
    for m in reversed(matches):
        if _norm(m) in by_norm:
            return by_norm[_norm(m)]
    return None


def _norm(label: str) -> str:
    return re.sub(r"\s+", "", label).lower()


PAIRWISE = Protocol(
    name="pairwise",
    kind="pairwise",
    labels=("A", "B", "tie"),
    tags={"A": "A", "B": "B", "C": "tie", "tie": "tie"},
    preference={"A": 1.0, "B": 0.0, "tie": 0.5},
    logprob_tokens={"A": "A", "B": "B", "tie": "tie"},
    description="3-way pairwise preference against a reference (A / B / tie).",
)

SINGLE = Protocol(
    name="single",
    kind="single",
    score_range=(1, 10),
    description="MT-Bench single-answer grading on a 1-10 scale; a model's score is its mean.",
)

LIMA = Protocol(
    name="lima",
    kind="pairwise",
    labels=("A", "B", "neither"),
    tags={"A": "A", "B": "B", "C": "neither", "neither": "neither", "tie": "neither"},
    preference={"A": 1.0, "B": 0.0, "neither": 0.5},
    logprob_tokens={"A": "A", "B": "B", "neither": "neither"},
    description="LIMA's preference question: A significantly better / B significantly better / neither.",
)

PAIRWISE_5 = Protocol(
    name="pairwise-5",
    kind="pairwise",
    labels=("A>>B", "A>B", "A=B", "B>A", "B>>A"),
    tags={"A>>B": "A>>B", "A>B": "A>B", "A=B": "A=B", "B=A": "A=B", "B>A": "B>A", "B>>A": "B>>A",
          "A<B": "B>A", "A<<B": "B>>A", "B<A": "A>B", "B<<A": "A>>B"},
    # A strong verdict weighs twice a slight one: the preference moves 0.5 from a draw for A>>B and
    # 0.25 for A>B (docs/rubrics.md). Arena-Hard counts a strong verdict three times instead.
    preference={"A>>B": 1.0, "A>B": 0.75, "A=B": 0.5, "B>A": 0.25, "B>>A": 0.0},
    # No logprob weighting: "A>>B" and "A>B" share their first token.
    description="Arena-Hard's 5-point scale (A>>B, A>B, A=B, B>A, B>>A); strong verdicts weigh double.",
)

ABSOLUTE = Protocol(
    name="absolute",
    kind="single",
    labels=("Fail", "Pass", "Excellent"),
    tags={"Fail": "Fail", "Pass": "Pass", "Excellent": "Excellent"},
    label_scores={"Fail": 0.0, "Pass": 1.0, "Excellent": 2.0},
    logprob_tokens={"Fail": "Fail", "Pass": "Pass", "Excellent": "Excellent"},
    description="LIMA's absolute grade: Fail (0) / Pass (1) / Excellent (2); a model's score is its mean.",
)

REFERENCE_GUIDED = Protocol(
    name="reference-guided",
    kind="pairwise",
    labels=PAIRWISE.labels,
    tags=PAIRWISE.tags,
    preference=PAIRWISE.preference,
    logprob_tokens=PAIRWISE.logprob_tokens,
    needs_reference_answer=True,
    description="Pairwise A / B / tie with the prompt's reference_answer shown (MT-Bench, for math and code).",
)

REGISTRY: dict[str, Protocol] = {p.name: p for p in (PAIRWISE, SINGLE, LIMA, PAIRWISE_5, ABSOLUTE, REFERENCE_GUIDED)}


def register(protocol: Protocol) -> None:
    REGISTRY[protocol.name] = protocol


def get_protocol(name: str) -> Protocol:
    try:
        return REGISTRY[name]
    except KeyError:
        from judgebench.errors import ConfigError

        raise ConfigError(
            f"Unknown judge protocol {name!r}.",
            f"Use one of: {', '.join(sorted(REGISTRY))} (judge.protocol in the suite).",
        ) from None
