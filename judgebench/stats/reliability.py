"""How far the judge can be trusted: position consistency, ties, failures, repeat agreement.

All rates are 0-1 and computed from the judgments frame, whose preferences are already un-ordered
("model beats reference" whatever position the model was shown in).

* position consistency: among (model, reference, prompt) judged ok in both orders, the share whose
  AB and BA verdicts agree — both favour the model (x > ½), both the reference (x < ½), or both tie.
  With several samples per order, each order's verdict is the class of its mean preference.
  Measured on ``raw_preference`` when the frame has it (each order's own verdict): a debiased
  preference is the same in both orders by construction, so it would always look consistent.
* tie rate: share of ok pairwise judgments with x = ½.
* parse-failure and error rates: share of *attempted* judgments (ok + parse_failure + error);
  "missing" rows (no response to judge, or not judged yet) are not the judge's failures.
* repeat agreement: among (model, reference, prompt, order) with more than one ok sample, the share
  whose samples all carry the same label (when the label is empty: the preference class, or the
  score for single-answer grading); None when the judge was never repeated.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from judgebench.stats.winrate import DRAW_TOLERANCE


def debiased(judgments: pd.DataFrame) -> bool:
    """Whether some preference was replaced by its pair's order-debiased one (scoring.debias)."""
    if "raw_preference" not in judgments.columns or judgments.empty:
        return False
    raw, pref = judgments["raw_preference"].to_numpy(dtype=float), judgments["preference"].to_numpy(dtype=float)
    both = ~np.isnan(raw) & ~np.isnan(pref)
    return bool(np.any(np.abs(raw[both] - pref[both]) > 1e-12))


RATES = ("position_consistency", "tie_rate", "parse_failure_rate", "error_rate", "repeat_agreement")
_PROMPT = ["model", "reference", "prompt_id"]


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


def _verdict_class(x: np.ndarray) -> np.ndarray:
    """+1 model, −1 reference, 0 tie."""
    return np.where(np.abs(x - 0.5) <= DRAW_TOLERANCE, 0, np.sign(x - 0.5)).astype(int)


def _labels(ok: pd.DataFrame) -> pd.Series:
    """The judge's label, or a stand-in (preference class, else score) where it is empty."""
    labels = ok["label"].fillna("").astype(str)
    preference = ok["preference"].to_numpy(dtype=float)
    stand_in = np.where(
        np.isnan(preference),
        ok["score"].astype(str).to_numpy(),
        _verdict_class(np.nan_to_num(preference, nan=0.5)).astype(str),
    )
    return labels.where(labels != "", pd.Series(stand_in, index=ok.index))


def _share(numerator: pd.Series, denominator: pd.Series, keys: pd.Index) -> pd.Series:
    numerator = numerator.reindex(keys, fill_value=0)
    denominator = denominator.reindex(keys, fill_value=0)
    return (numerator / denominator.where(denominator > 0)).astype(float)


def reliability_table(judgments: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The rates (columns ``RATES``) per group of ``by`` columns (all rows given are used).

    ``by`` must be a subset of model and reference, e.g. ["model", "reference"] for leaderboard
    rows; see :func:`reliability` for the whole frame. NaN where a rate is not computable.
    """
    frame = judgments.assign(_all="")
    keys = by or ["_all"]
    pair_keys = [*keys, *(k for k in _PROMPT if k not in keys), "order"]
    groups = frame.groupby(keys).size().index
    status = frame["status"]
    ok = frame[(status == "ok") & (frame["preference"].notna() | frame["score"].notna())]
    attempted = frame[status.isin(["ok", "parse_failure", "error"])].groupby(keys).size()
    table = pd.DataFrame(index=groups)
    table["parse_failure_rate"] = _share(frame[status == "parse_failure"].groupby(keys).size(), attempted, groups)
    table["error_rate"] = _share(frame[status == "error"].groupby(keys).size(), attempted, groups)

    pairwise = ok[ok["preference"].notna()]
    ties = pd.Series(np.abs(pairwise["preference"].to_numpy(dtype=float) - 0.5) <= DRAW_TOLERANCE, index=pairwise.index)
    table["tie_rate"] = _share(ties.groupby([pairwise[k] for k in keys]).sum(), pairwise.groupby(keys).size(), groups)

    ordered = pairwise[pairwise["order"].isin(["AB", "BA"])]
    verdict = "raw_preference" if "raw_preference" in ordered.columns else "preference"
    per_order = ordered.groupby(pair_keys)[verdict].mean().unstack("order")
    if {"AB", "BA"} <= set(per_order.columns):
        both = per_order.dropna(subset=["AB", "BA"])
        agree = pd.Series(
            _verdict_class(both["AB"].to_numpy()) == _verdict_class(both["BA"].to_numpy()), index=both.index
        )
        level = list(range(len(keys)))
        table["position_consistency"] = _share(agree.groupby(level=level).sum(), agree.groupby(level=level).size(), groups)
    else:
        table["position_consistency"] = np.nan

    labels = _labels(ok)
    per_pair = labels.groupby([ok[k] for k in pair_keys]).agg(["size", "nunique"])
    repeated = per_pair[per_pair["size"] > 1]
    level = list(range(len(keys)))
    agree_repeats = (repeated["nunique"] == 1).groupby(level=level).sum()
    table["repeat_agreement"] = _share(agree_repeats, repeated.groupby(level=level).size(), groups)
    return table[list(RATES)]


def _row(values: pd.Series) -> Reliability:
    return Reliability(**{k: (None if pd.isna(values[k]) else float(values[k])) for k in RATES})


def reliability(judgments: pd.DataFrame) -> Reliability:
    """Reliability over every row of ``judgments`` (pairwise and single-answer alike)."""
    if judgments.empty:
        return Reliability(None, None, None, None, None)
    return _row(reliability_table(judgments, []).iloc[0])


def reliability_by(judgments: pd.DataFrame, by: list[str]) -> dict[tuple[str, ...], Reliability]:
    """:func:`reliability` per group, keyed by the tuple of the ``by`` values."""
    if judgments.empty:
        return {}
    table = reliability_table(judgments, by)
    out = {}
    for key, values in table.iterrows():
        out[tuple(map(str, key)) if isinstance(key, tuple) else (str(key),)] = _row(values)
    return out
