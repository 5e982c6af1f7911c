"""Single-answer grading (reference ""): each model's mean score with a bootstrap interval.

Samples of one prompt are averaged first, then prompts, so a repeatedly graded prompt counts once.
"""

from __future__ import annotations

import pandas as pd

from judgebench.stats.bootstrap import mean_intervals


def mean_scores(judgments: pd.DataFrame, rounds: int, seed: int, level: float) -> pd.DataFrame:
    """Columns: model, n, mean_score, ci_low, ci_high (score units; NaN interval for one prompt)."""
    rows = judgments[(judgments["reference"] == "") & (judgments["status"] == "ok") & judgments["score"].notna()]
    columns = ["model", "n", "mean_score", "ci_low", "ci_high"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    wide = rows.groupby(["prompt_id", "model"])["score"].mean().unstack("model")
    point, low, high = mean_intervals(wide.to_numpy(dtype=float), rounds, seed, level)
    return pd.DataFrame(
        {
            "model": list(wide.columns),
            "n": wide.notna().sum(axis=0).to_numpy(),
            "mean_score": point,
            "ci_low": low,
            "ci_high": high,
        }
    )
