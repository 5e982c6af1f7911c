"""How far a judge agrees with human labels, with LLMBar's definitions.

* accuracy in one order: the share of labelled pairs whose verdict equals the gold label; a parse
  failure or a missing verdict counts as wrong (LLMBar does the same).
* accuracy: the mean of the two orders' accuracies (LLMBar's headline number).
* positional agreement: the share of all pairs whose two verdicts, read in the pair's frame, are
  equal. A parse failure never agrees with anything, not even another failure; LLMBar's
  ``evaluate.py`` counts two failures as agreeing, which changes its LLMEval^2 numbers (see tests).
* Cohen's kappa between the judge and each annotator (mean over the two orders, pairs where the
  judge failed left out) and between each pair of annotators, the yardstick a judge is read against.

The gold label of a pair is its annotators' majority; pairs without one are left out of accuracy.
Rates are fractions in [0, 1]; a value that cannot be computed is None (``null`` in JSON).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from itertools import combinations
from typing import Any

from judgebench.errors import ConfigError
from judgebench.validation.pairs import ORDERS, Label, LabelledPair, Order, RecordedVerdict


def cohen_kappa(x: Sequence[str], y: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when chance agreement is 1 (undefined)."""
    if len(x) != len(y):
        raise ValueError(f"raters labelled different numbers of items ({len(x)} and {len(y)})")
    n = len(x)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(x, y, strict=True)) / n
    count_x, count_y = Counter(x), Counter(y)
    expected = sum(count_x[c] * count_y[c] for c in count_x) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def majority_label(labels: Iterable[Label]) -> Label | None:
    """The label most annotators gave; None when the top count is shared (no gold label)."""
    ranked = Counter(labels).most_common()
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


@dataclass(frozen=True)
class ValidationReport:
    """The judge-vs-humans numbers for one set of labelled pairs."""

    n_pairs: int
    n_gold: int
    """Pairs with a majority label: the denominator of the accuracies."""
    n_annotators: int
    accuracy: float | None
    accuracy_ab: float | None
    accuracy_ba: float | None
    positional_agreement: float | None
    parse_failures: dict[str, int]
    """Per order ("AB", "BA"): verdicts the judge gave but that could not be parsed."""
    missing: dict[str, int]
    """Per order: pairs with no recorded verdict at all."""
    judge_kappa: tuple[float | None, ...]
    """Judge vs annotator i (mean of the two orders' kappas)."""
    inter_annotator_kappa: dict[str, float | None]
    """Annotator i vs j, keyed "i-j" (1-based); empty with a single annotator."""
    credentials: dict[str, Any] | None = None
    """The judge's credentials with bootstrap intervals (judgebench.validation.credentials), when scored so."""

    def with_credentials(self, credentials: dict[str, Any] | None) -> ValidationReport:
        return replace(self, credentials=credentials)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (None for what cannot be computed)."""
        data = asdict(self)
        data["judge_kappa"] = list(self.judge_kappa)
        return data

    def to_markdown(self) -> str:
        """A small markdown table a person reads next to a leaderboard."""
        rows = [
            ("pairs (with a gold label)", f"{self.n_pairs} ({self.n_gold})"),
            ("accuracy (mean of both orders)", _percent(self.accuracy)),
            ("accuracy, response A shown first", _percent(self.accuracy_ab)),
            ("accuracy, response B shown first", _percent(self.accuracy_ba)),
            ("positional agreement", _percent(self.positional_agreement)),
            ("parse failures (AB / BA)", f"{self.parse_failures['AB']} / {self.parse_failures['BA']}"),
            ("missing verdicts (AB / BA)", f"{self.missing['AB']} / {self.missing['BA']}"),
        ]
        rows += [(f"kappa, judge vs annotator {i}", _number(k)) for i, k in enumerate(self.judge_kappa, 1)]
        rows += [(f"kappa, annotators {key}", _number(k)) for key, k in self.inter_annotator_kappa.items()]
        if self.inter_annotator_kappa:
            rows.append(("kappa, annotators (mean)", _number(_mean(self.inter_annotator_kappa.values()))))
        lines = ["| metric | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
        if self.credentials is not None:
            from judgebench.validation.credentials import to_markdown

            lines.append(to_markdown(self.credentials))
        return "\n".join(lines)


def _index(
    pairs: Sequence[LabelledPair], verdicts: Iterable[RecordedVerdict]
) -> dict[tuple[str, Order], Label | None]:
    known = {pair.id for pair in pairs}
    by_key: dict[tuple[str, Order], Label | None] = {}
    for verdict in verdicts:
        if verdict.pair_id not in known:
            raise ConfigError(
                f"A verdict names pair {verdict.pair_id!r}, which is not among the labelled pairs.",
                "Load the verdicts with the pairs they were recorded on (same file, same format).",
            )
        key = (verdict.pair_id, verdict.order)
        if key in by_key:
            raise ConfigError(
                f"Pair {verdict.pair_id!r} has two verdicts in order {verdict.order}.",
                "Record one verdict per pair and order.",
            )
        by_key[key] = verdict.winner
    return by_key


def score_recorded(pairs: Sequence[LabelledPair], verdicts: Iterable[RecordedVerdict]) -> ValidationReport:
    """Score verdicts (from our runner or recorded elsewhere) against the pairs' human labels."""
    by_key = _index(pairs, verdicts)
    golds = {pair.id: majority_label(pair.labels) for pair in pairs}
    gold_ids = [pid for pid, gold in golds.items() if gold is not None]

    def accuracy(order: Order) -> float | None:
        if not gold_ids:
            return None
        return sum(by_key.get((pid, order)) == golds[pid] for pid in gold_ids) / len(gold_ids)

    def agrees(pid: str) -> bool:
        ab = by_key.get((pid, "AB"))
        return ab is not None and ab == by_key.get((pid, "BA"))

    n_annotators = max((len(pair.labels) for pair in pairs), default=0)

    def judge_kappa(annotator: int) -> float | None:
        per_order = []
        for order in ORDERS:
            rated = [
                (p.labels[annotator], by_key[(p.id, order)])
                for p in pairs
                if len(p.labels) > annotator and by_key.get((p.id, order)) is not None
            ]
            per_order.append(cohen_kappa([h for h, _ in rated], [str(j) for _, j in rated]))
        return _mean(per_order)

    def annotator_kappa(i: int, j: int) -> float | None:
        both = [p.labels for p in pairs if len(p.labels) > max(i, j)]
        return cohen_kappa([labels[i] for labels in both], [labels[j] for labels in both])

    acc = {order: accuracy(order) for order in ORDERS}
    return ValidationReport(
        n_pairs=len(pairs),
        n_gold=len(gold_ids),
        n_annotators=n_annotators,
        accuracy=None if not gold_ids else _mean(acc.values()),
        accuracy_ab=acc["AB"],
        accuracy_ba=acc["BA"],
        positional_agreement=sum(agrees(p.id) for p in pairs) / len(pairs) if pairs else None,
        parse_failures={
            o: sum(1 for p in pairs if (p.id, o) in by_key and by_key[(p.id, o)] is None) for o in ORDERS
        },
        missing={o: sum(1 for p in pairs if (p.id, o) not in by_key) for o in ORDERS},
        judge_kappa=tuple(judge_kappa(a) for a in range(n_annotators)),
        inter_annotator_kappa={
            f"{i + 1}-{j + 1}": annotator_kappa(i, j) for i, j in combinations(range(n_annotators), 2)
        },
    )
