"""How far the judge can be trusted: position consistency, ties, failures, repeat agreement.

All rates are 0-1 and computed from the judgments frame, whose preferences are already un-ordered
("model beats reference" whatever position the model was shown in).

* position consistency: among (model, reference, prompt) judged ok in both orders, the share whose
  AB and BA verdicts agree — both favour the model (x > ½), both the reference (x < ½), or both tie.
  With several samples per order, each order's verdict is the class of its mean preference.
* tie rate: share of ok judgments with x = ½.
* parse-failure and error rates: share of *attempted* judgments (ok + parse_failure + error);
  "missing" rows (no response to judge, or not judged yet) are not the judge's failures.
* repeat agreement: among (model, reference, prompt, order) with more than one ok sample, the share
  whose samples all carry the same label (the preference class when the label is empty); None when
  the judge was never repeated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from judgebench.stats.winrate import DRAW_TOLERANCE


@dataclass(frozen=True)
class Reliability:
    """Judge reliability rates (0-1), None when nothing was available to compute one."""

    position_consistency: float | None
    tie_rate: float | None
    parse_failure_rate: float | None
    error_rate: float | None
    repeat_agreement: float | None

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


def _verdict_class(x: pd.Series) -> pd.Series:
    """+1 model, −1 reference, 0 tie."""
    values = x.to_numpy(dtype=float)
    tie = np.abs(values - 0.5) <= DRAW_TOLERANCE
    return pd.Series(np.where(tie, 0, np.sign(values - 0.5)).astype(int), index=x.index)


def _share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def reliability(judgments: pd.DataFrame) -> Reliability:
    """Reliability over all pairwise rows of ``judgments`` (pass a subset for one model)."""
    rows = judgments[judgments["reference"] != ""]
    ok = rows[(rows["status"] == "ok") & rows["preference"].notna()]
    attempted = int(rows["status"].isin(["ok", "parse_failure", "error"]).sum())

    keys = ["model", "reference", "prompt_id"]
    ordered = ok[ok["order"].isin(["AB", "BA"])]
    per_order = ordered.groupby([*keys, "order"])["preference"].mean().unstack("order")
    consistency = None
    if {"AB", "BA"} <= set(per_order.columns):
        both = per_order.dropna(subset=["AB", "BA"])
        agree = int((_verdict_class(both["AB"]) == _verdict_class(both["BA"])).sum())
        consistency = _share(agree, len(both))

    ties = int((np.abs(ok["preference"].to_numpy(dtype=float) - 0.5) <= DRAW_TOLERANCE).sum())

    labels = ok["label"].fillna("").astype(str)
    labels = labels.where(labels != "", _verdict_class(ok["preference"]).astype(str))
    groups = labels.groupby([ok[k] for k in [*keys, "order"]])
    sizes, distinct = groups.size(), groups.nunique()
    repeated = sizes > 1
    agreement = _share(int((distinct[repeated] == 1).sum()), int(repeated.sum()))

    return Reliability(
        position_consistency=consistency,
        tie_rate=_share(ties, len(ok)),
        parse_failure_rate=_share(int((rows["status"] == "parse_failure").sum()), attempted),
        error_rate=_share(int((rows["status"] == "error").sum()), attempted),
        repeat_agreement=agreement,
    )
