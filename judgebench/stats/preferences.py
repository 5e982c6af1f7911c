"""From judgment rows to one preference per (model, reference, prompt).

A prompt is judged in two orders and possibly several times per order. Samples are averaged
within an order first and the orders are then averaged, so a prompt whose AB judgment failed once
still weighs both positions equally. Rows whose status is not "ok" never become preferences: they
are only counted (failures are data, not ties).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STATUSES = ("ok", "parse_failure", "error", "missing")


@dataclass(frozen=True)
class PreferenceMatrix:
    """Per-prompt preferences of several models against one reference.

    ``x[i, m]`` is the preference of ``models[m]`` over the reference on ``prompt_ids[i]``, NaN
    when that model has no usable judgment on that prompt. Rows cover every prompt judged against
    the reference in any status, so models stay paired prompt by prompt.
    """

    reference: str
    prompt_ids: list[str]
    models: list[str]
    x: np.ndarray

    def column(self, model: str) -> np.ndarray:
        """The preferences of one model, aligned with ``prompt_ids``."""
        return self.x[:, self.models.index(model)]


def pairwise_rows(judgments: pd.DataFrame) -> pd.DataFrame:
    """The judgments of a model against a reference (single-answer rows have reference "")."""
    return judgments[judgments["reference"] != ""]


def per_prompt_preferences(judgments: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, reference, prompt_id) with at least one usable judgment.

    Columns: model, reference, prompt_id, x (mean over orders of the mean over samples), n_ok.
    """
    rows = pairwise_rows(judgments)
    ok = rows[(rows["status"] == "ok") & rows["preference"].notna()]
    keys = ["model", "reference", "prompt_id"]
    if ok.empty:
        return pd.DataFrame({k: pd.Series(dtype=str) for k in keys}).assign(
            x=pd.Series(dtype=float), n_ok=pd.Series(dtype=int)
        )
    by_order = ok.groupby([*keys, "order"], sort=False)["preference"].agg(["mean", "size"])
    per_prompt = by_order.groupby(level=[0, 1, 2], sort=False).agg(x=("mean", "mean"), n_ok=("size", "sum"))
    return per_prompt.reset_index()


def preference_matrix(
    judgments: pd.DataFrame, per_prompt: pd.DataFrame, reference: str, models: list[str]
) -> PreferenceMatrix:
    """Pivot the per-prompt preferences against ``reference`` to a prompts × models matrix."""
    rows = pairwise_rows(judgments)
    prompt_ids = sorted(set(rows.loc[rows["reference"] == reference, "prompt_id"].astype(str)))
    sub = per_prompt[per_prompt["reference"] == reference]
    wide = sub.pivot(index="prompt_id", columns="model", values="x")
    wide = wide.reindex(index=prompt_ids, columns=models)
    return PreferenceMatrix(reference, prompt_ids, list(models), wide.to_numpy(dtype=float))


def status_counts(judgments: pd.DataFrame) -> pd.DataFrame:
    """Judgment rows per (model, reference) and status, one column per status in ``STATUSES``."""
    rows = pairwise_rows(judgments)
    counts = rows.groupby(["model", "reference"])["status"].value_counts().unstack(fill_value=0)
    return counts.reindex(columns=list(STATUSES), fill_value=0)


def prompt_categories(judgments: pd.DataFrame) -> dict[str, str]:
    """The category of each prompt ("" when the prompt has none)."""
    first = judgments.drop_duplicates("prompt_id")
    return dict(zip(first["prompt_id"].astype(str), first["category"].fillna("").astype(str), strict=True))
