"""Judge validation: how far a judge agrees with human labels before its leaderboard is trusted.

Load labelled pairs (:func:`load_pairs`), either run a judge on them in both orders
(:func:`judge_pairs` / :func:`validate_judge`) or load verdicts recorded elsewhere
(:func:`load_verdicts`), and score them (:func:`score_recorded`) into a :class:`ValidationReport`.
"""

from __future__ import annotations

from judgebench.validation.formats import PAIR_LOADERS, VERDICT_LOADERS, load_pairs, load_verdicts
from judgebench.validation.metrics import ValidationReport, cohen_kappa, majority_label, score_recorded
from judgebench.validation.pairs import Label, LabelledPair, Order, RecordedVerdict, read_pairs_jsonl
from judgebench.validation.runner import JudgeFn, judge_pairs, shown, validate_judge

__all__ = [
    "PAIR_LOADERS",
    "VERDICT_LOADERS",
    "JudgeFn",
    "Label",
    "LabelledPair",
    "Order",
    "RecordedVerdict",
    "ValidationReport",
    "cohen_kappa",
    "judge_pairs",
    "load_pairs",
    "load_verdicts",
    "majority_label",
    "read_pairs_jsonl",
    "score_recorded",
    "shown",
    "validate_judge",
]
