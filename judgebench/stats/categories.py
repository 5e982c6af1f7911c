"""Win rates per prompt category, each with its own bootstrap over that category's prompts."""

from __future__ import annotations

import numpy as np

from judgebench.stats.bootstrap import mean_intervals
from judgebench.stats.preferences import PreferenceMatrix


def category_win_rates(
    matrix: PreferenceMatrix, categories: dict[str, str], rounds: int, seed: int, level: float
) -> list[dict[str, object]]:
    """One row per (model, category): {model, reference, category, n, win_rate, ci_low, ci_high}.

    Points; None where the model has no preference in the category. Prompts without a category
    form the category "".
    """
    labels = np.array([categories.get(p, "") for p in matrix.prompt_ids], dtype=object)
    rows: list[dict[str, object]] = []
    for category in sorted(set(labels.tolist())):
        sub = matrix.x[labels == category]
        point, low, high = mean_intervals(sub, rounds, seed, level)
        n = (~np.isnan(sub)).sum(axis=0)
        for j, model in enumerate(matrix.models):
            finite = bool(n[j] > 0)
            rows.append(
                {
                    "model": model,
                    "reference": matrix.reference,
                    "category": category,
                    "n": int(n[j]),
                    "win_rate": 100.0 * float(point[j]) if finite else None,
                    "ci_low": 100.0 * float(low[j]) if finite and np.isfinite(low[j]) else None,
                    "ci_high": 100.0 * float(high[j]) if finite and np.isfinite(high[j]) else None,
                }
            )
    return rows
