"""Is the judge good enough to rank these models? The one judge-adequacy rule.

A leaderboard is only as good as its judge. The judge's *credentials* are measured on labelled
validation sets (``judgebench validate-judge``: accuracy against human labels with a bootstrap
interval, agreement between the two presentation orders, Cohen's kappa) and the suite itself
shows how the judge behaved on these models (position consistency, parse failures). The rule:

* **too weak** when any of
  - credentials were given and on *no* validation set does the accuracy interval's lower bound
    exceed chance (the judge is not shown to be better than a coin);
  - the suite's own position consistency is below :data:`MIN_POSITION_CONSISTENCY` (its verdicts
    follow the position of an answer more than the answer: a degenerate judge) — unless the
    preferences were debiased from the logprobs of both orders (``scoring: debiased-logprob``)
    *and* a validation set shows the debiased verdicts above chance: debiasing cancels the
    position bias by construction, so only labelled pairs can show whether a signal is left;
  - the suite's parse-failure rate exceeds the limit (``StatsOptions.max_parse_failure_rate``);
* **unvalidated** when it is not too weak but no credentials were given;
* **adequate** otherwise.

When the judge is too weak every comparison is called *inconclusive* instead of ranked (the
numbers stay visible). Every renderer reads :func:`judge_adequacy`'s result from leaderboard.json.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

MIN_POSITION_CONSISTENCY = 0.5
"""Below this share of order-swapped verdicts that agree, the judge mostly picks a position."""

ADEQUATE, TOO_WEAK, UNVALIDATED = "adequate", "too weak", "unvalidated"
SCORINGS = ("argmax", "debiased-logprob")
RULE = (
    "The judge is too weak to rank when its accuracy interval does not exceed chance on any validation "
    "set, when the suite's position consistency is below {pc:.2f} (for a judge debiased from the "
    "logprobs of both orders: only when no validation set shows its debiased verdicts above chance), "
    "or when its parse-failure rate is above {pf:g}; unvalidated when no validation set was measured."
)


@dataclass(frozen=True)
class JudgeCredential:
    """The judge measured on one labelled validation set (the shape helper ``validate-judge`` writes)."""

    name: str
    pairs: int
    judgments: int
    scoring: str
    accuracy: float
    accuracy_ci: tuple[float, float]
    positional_agreement: float | None
    kappa: float | None
    kappa_ci: tuple[float, float] | None
    parse_failure_rate: float | None
    chance: float = 0.5
    published: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> JudgeCredential:
        """Validate one credentials dict; ValueError naming the first bad field."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"a judge credential must be an object, not {type(raw).__name__}")
        missing = [k for k in ("name", "pairs", "judgments", "scoring", "accuracy", "accuracy_ci") if k not in raw]
        if missing:
            raise ValueError(f"judge credential {raw.get('name', '?')!r} lacks {', '.join(missing)}")
        if raw["scoring"] not in SCORINGS:
            raise ValueError(f"judge credential {raw['name']!r}: scoring must be one of {', '.join(SCORINGS)}")
        published = raw.get("published") or {}
        if not isinstance(published, Mapping):
            raise ValueError(f"judge credential {raw['name']!r}: published must map annotator to accuracy")
        return cls(
            name=str(raw["name"]),
            pairs=int(raw["pairs"]),
            judgments=int(raw["judgments"]),
            scoring=str(raw["scoring"]),
            accuracy=_rate(raw, "accuracy"),
            accuracy_ci=_pair(raw, "accuracy_ci"),
            positional_agreement=_rate(raw, "positional_agreement", optional=True),
            kappa=_number(raw.get("kappa"), raw, "kappa"),
            kappa_ci=_pair(raw, "kappa_ci") if raw.get("kappa_ci") is not None else None,
            parse_failure_rate=_rate(raw, "parse_failure_rate", optional=True),
            chance=_rate(raw, "chance", optional=True) if raw.get("chance") is not None else 0.5,
            published={str(k): _rate(published, k) for k in published},
        )

    @property
    def above_chance(self) -> bool:
        return self.accuracy_ci[0] > self.chance

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["accuracy_ci"] = list(self.accuracy_ci)
        out["kappa_ci"] = None if self.kappa_ci is None else list(self.kappa_ci)
        return out


def _number(value: Any, raw: Mapping[str, Any], key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise ValueError(f"judge credential {raw.get('name', '?')!r}: {key} must be a finite number")
    return float(value)


def _rate(raw: Mapping[str, Any], key: str, optional: bool = False) -> Any:
    value = _number(raw.get(key), raw, key)
    if value is None:
        if optional:
            return None
        raise ValueError(f"judge credential {raw.get('name', '?')!r}: {key} is required")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"judge credential {raw.get('name', '?')!r}: {key} must be between 0 and 1")
    return value


def _pair(raw: Mapping[str, Any], key: str) -> tuple[float, float]:
    value = raw.get(key)
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"judge credential {raw.get('name', '?')!r}: {key} must be [low, high]")
    low, high = (_number(v, raw, key) for v in value)
    if low is None or high is None or low > high:
        raise ValueError(f"judge credential {raw.get('name', '?')!r}: {key} must be [low, high] with low <= high")
    return low, high


@dataclass(frozen=True)
class JudgeAdequacy:
    """The verdict of the rule, with its reasons in words (empty when adequate)."""

    status: str
    reasons: tuple[str, ...]
    rule: str
    notes: tuple[str, ...] = ()
    """What a reader must know even when the judge passes (e.g. a position floor excused by debiasing)."""

    @property
    def too_weak(self) -> bool:
        return self.status == TOO_WEAK

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": list(self.reasons), "rule": self.rule, "notes": list(self.notes)}


def judge_adequacy(
    credentials: Sequence[JudgeCredential],
    position_consistency: float | None,
    parse_failure_rate: float | None,
    max_parse_failure_rate: float,
    debiased: bool = False,
) -> JudgeAdequacy:
    """Apply the rule of the module docstring (``debiased``: preferences came from both orders' logprobs)."""
    reasons = []
    validated = any(c.above_chance for c in credentials)
    if credentials and not validated:
        sets = ", ".join(f"{c.name} {c.accuracy:.2f} (interval {c.accuracy_ci[0]:.2f}–{c.accuracy_ci[1]:.2f})"
                         for c in credentials)
        reasons.append(f"its accuracy is not above chance ({credentials[0].chance:.2f}) on any validation set: {sets}")
    excused = debiased and validated  # position bias removed, and labelled pairs show a signal left
    if position_consistency is not None and position_consistency < MIN_POSITION_CONSISTENCY and not excused:
        reasons.append(
            f"it is degenerate on this suite: position consistency {position_consistency:.2f} (below "
            f"{MIN_POSITION_CONSISTENCY:.2f}) — its verdict changes when the two answers swap places, so it "
            "picks a position rather than an answer"
        )
    if parse_failure_rate is not None and parse_failure_rate > max_parse_failure_rate:
        reasons.append(f"{parse_failure_rate:.0%} of its verdicts could not be parsed (limit {max_parse_failure_rate:.0%})")
    rule = RULE.format(pc=MIN_POSITION_CONSISTENCY, pf=max_parse_failure_rate)
    if reasons:
        return JudgeAdequacy(TOO_WEAK, tuple(reasons), rule)
    if not credentials:
        return JudgeAdequacy(UNVALIDATED, ("no validation set was measured for this judge",), rule)
    notes = []
    if excused and position_consistency is not None and position_consistency < MIN_POSITION_CONSISTENCY:
        notes.append(
            f"Its own per-order verdicts agree across the two orders on only {position_consistency:.2f} of the "
            "pairs (it mostly picks a position); the preferences used here are debiased from the logprobs of both "
            "orders, which removes that bias, and the validation sets measure what signal is left."
        )
    best = max(credentials, key=lambda c: c.accuracy)
    strongest = max(best.published.items(), key=lambda kv: kv[1], default=None)
    if strongest is not None and best.accuracy < strongest[1] - 0.1:
        notes.append(
            f"Its best validation accuracy ({best.accuracy:.2f} on {best.name}) is well below {strongest[0]}'s "
            f"published {strongest[1]:.2f} on the same pairs: a weak judge shrinks real differences towards zero, "
            "so a comparison it calls inconclusive may still hide a difference a stronger judge would see."
        )
    return JudgeAdequacy(ADEQUATE, (), rule, tuple(notes))
