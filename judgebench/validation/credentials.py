"""A judge's credentials on one labelled set: accuracy and agreement with bootstrap intervals.

Input: the pairs (with human labels) and the judge's stored verdicts on them, both orders. Output:
the dict every leaderboard shows beside its table (docs/CONTRACTS.md, "judge_credentials"):

``{"name", "pairs", "judgments", "scoring", "accuracy", "accuracy_ci", "positional_agreement",
"kappa", "kappa_ci", "parse_failure_rate", "chance": 0.5, "published": {annotator: accuracy}}``

Scoring ``argmax``: each order's verdict as given; a pair's accuracy is the mean of its two
orders' correctness (a missing or unparseable verdict is wrong), kappa pools both orders.
Scoring ``debiased-logprob``: one verdict per pair from both orders' logprob margins
(:mod:`judgebench.scoring`); a pair without both margins is wrong. Intervals: percentile bootstrap
over pairs (the unit the labels were given on), seeded. Kappa: Cohen's, judge vs the pairs'
majority human label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from judgebench.scoring import debiased_label
from judgebench.stats.bootstrap import resample_counts
from judgebench.validation.metrics import majority_label
from judgebench.validation.pairs import LABELS, Label, LabelledPair, Order

SCORINGS = ("argmax", "debiased-logprob")
CHANCE = 0.5


@dataclass(frozen=True)
class StoredVerdict:
    """A stored judgment of one pair in one order, read back into the pair's frame."""

    pair_id: str
    order: Order
    status: str
    """"ok", "parse_failure" or "error"."""
    winner: Label | None
    """In the pair's frame (A = response_a); None unless ok."""
    margin: float | None = None
    """log p(first shown) - log p(second shown), in the presented frame; None without logprobs."""


def _index(verdicts: Sequence[StoredVerdict]) -> dict[tuple[str, str], StoredVerdict]:
    return {(v.pair_id, v.order): v for v in verdicts}


def pair_verdicts(pairs: Sequence[LabelledPair], verdicts: Sequence[StoredVerdict],
                  scoring: str) -> list[list[Label | None]]:
    """Per pair, the judge's verdict(s) in the pair's frame: two (AB, BA) for argmax, one debiased."""
    by = _index(verdicts)
    out: list[list[Label | None]] = []
    for p in pairs:
        ab, ba = by.get((p.id, "AB")), by.get((p.id, "BA"))
        if scoring == "argmax":
            out.append([v.winner if v else None for v in (ab, ba)])
        elif ab is not None and ba is not None and ab.margin is not None and ba.margin is not None:
            out.append([debiased_label(ab.margin, ba.margin)])  # type: ignore[list-item]
        else:
            out.append([None])
    return out


def _kappa(confusion: np.ndarray) -> np.ndarray:
    """Cohen's kappa for each row of ``confusion`` (rows x 3 x 3 counts); NaN where undefined."""
    n = confusion.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.trace(confusion, axis1=1, axis2=2) / n
        expected = (confusion.sum(axis=2) * confusion.sum(axis=1)).sum(axis=1) / (n * n)
        kappa = (observed - expected) / (1 - expected)
    return np.where((n > 0) & (expected < 1), kappa, np.nan)


def _interval(boot: np.ndarray, level: float) -> list[float] | None:
    finite = boot[np.isfinite(boot)]
    if finite.size == 0:
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


def credentials(name: str, pairs: Sequence[LabelledPair], verdicts: Sequence[StoredVerdict], scoring: str, *,
                rounds: int = 1000, seed: int = 0, level: float = 0.95,
                published: Mapping[str, float] | None = None) -> dict[str, Any] | None:
    """The credentials dict, or None when no pair has both a gold label and a stored verdict."""
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {SCORINGS}, not {scoring!r}")
    stored = [v for v in verdicts if v.status in ("ok", "parse_failure")]
    golds = [majority_label(p.labels) for p in pairs]
    per_pair = pair_verdicts(pairs, verdicts, scoring)
    gold_rows = [i for i, g in enumerate(golds) if g is not None]
    if not stored or not gold_rows:
        return None
    index: dict[str | None, int] = {lab: k for k, lab in enumerate(LABELS)}
    correct = np.array([np.mean([v == golds[i] for v in per_pair[i]]) for i in gold_rows])
    confusion = np.zeros((len(gold_rows), 3, 3))
    for row, i in enumerate(gold_rows):
        for v in per_pair[i]:
            if v is not None:
                confusion[row, index[golds[i]], index[v]] += 1
    counts = resample_counts(len(gold_rows), rounds, np.random.default_rng(seed))
    boot_accuracy = counts @ correct / len(gold_rows)
    boot_kappa = _kappa(np.einsum("rp,pij->rij", counts, confusion))
    kappa = _kappa(confusion.sum(axis=0, keepdims=True))[0]
    by = _index(verdicts)

    def agrees(pair: LabelledPair) -> bool:
        ab, ba = by.get((pair.id, "AB")), by.get((pair.id, "BA"))
        return ab is not None and ba is not None and ab.winner is not None and ab.winner == ba.winner

    agree = [agrees(p) for p in pairs]
    failures = sum(v.status == "parse_failure" for v in stored)
    accuracy_ci = _interval(boot_accuracy, level)
    return {
        "name": name,
        "pairs": len(pairs),
        "judgments": len(stored),
        "scoring": scoring,
        "accuracy": float(correct.mean()),
        "accuracy_ci": accuracy_ci,
        "positional_agreement": sum(agree) / len(pairs),
        "kappa": None if np.isnan(kappa) else float(kappa),
        "kappa_ci": None if np.isnan(kappa) else _interval(boot_kappa, level),
        "parse_failure_rate": failures / len(stored),
        "chance": CHANCE,
        "published": dict(published or {}),
    }


def to_markdown(cred: Mapping[str, Any]) -> str:
    """The credentials as the lines of a small markdown table (after the table's header)."""

    def ci(value: list[float] | None, pct: bool) -> str:
        if not value:
            return ""
        lo, hi = value
        return f" ({100 * lo:.1f}–{100 * hi:.1f}%)" if pct else f" ({lo:.3f} to {hi:.3f})"

    rows = [
        (f"scoring ({cred['scoring']})", f"{cred['judgments']} judgments of {cred['pairs']} pairs"),
        ("accuracy, 95% CI", f"{100 * cred['accuracy']:.1f}%{ci(cred['accuracy_ci'], True)} (chance 50%)"),
        ("kappa vs majority label, 95% CI", "n/a" if cred["kappa"] is None
         else f"{cred['kappa']:.3f}{ci(cred['kappa_ci'], False)}"),
        ("parse failure rate", f"{100 * cred['parse_failure_rate']:.1f}%"),
    ]
    rows += [(f"published: {who}", f"{100 * acc:.1f}%") for who, acc in cred.get("published", {}).items()]
    return "\n".join(f"| {name} | {value} |" for name, value in rows)
