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
    """Single tokens that stand for a label, for logprob weighting (e.g. "A" -> "A")."""
    needs_reference_answer: bool = False
    description: str = ""

    def schema(self) -> dict[str, Any]:
        """JSON schema of the verdict object (reasoning first, so the judge thinks before it decides)."""
        props: dict[str, Any] = {"reasoning": {"type": "string"}}
        if self.score_range is not None:
            low, high = self.score_range
            props["score"] = {"type": "integer", "minimum": int(low), "maximum": int(high)}
            required = ["reasoning", "score"]
        else:
            props["verdict"] = {"type": "string", "enum": list(self.labels)}
            required = ["reasoning", "verdict"]
        return {"type": "object", "properties": props, "required": required, "additionalProperties": False}

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
        if self.kind == "single":
            return Verdict(label=label, score=self.label_scores[label], reasoning=reasoning or text)
        pref = self.preference[label]
        if use_logprobs and completion.logprobs and self.logprob_tokens:
            probs = label_probabilities(completion.logprobs, self.logprob_tokens)
            if probs:
                pref = sum(p * self.preference[lab] for lab, p in probs.items())
        return Verdict(label=label, preference_a=pref, reasoning=reasoning or text)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _loose_json_label(text: str, labels: tuple[str, ...]) -> str | None:
    """`"verdict": "A"` inside a truncated or slightly broken JSON answer."""
    matches = re.findall(r'"verdict"\s*:\s*"([^"]{1,16})"', text)
    by_lower = {lab.lower(): lab for lab in labels}
    for m in reversed(matches):
        if m.strip().lower() in by_lower:
            return by_lower[m.strip().lower()]
    return None


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

REGISTRY: dict[str, Protocol] = {p.name: p for p in (PAIRWISE, SINGLE)}


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
