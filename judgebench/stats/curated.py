"""The curated-versus-large analysis: does a small curated training set match a large one?

Points: each model with training metadata, its win rate (with interval) against the primary
reference, its training-set size, base model and curated flag — the table the site draws as win
rate against examples, grouped by base model and curated flag.

Comparisons: each curated model against each non-curated model of the same base model (models
without a base model form one group; models whose curated flag is unknown are not compared), as
paired comparisons on the same prompts.

Minimum detectable difference: for the suite's number of prompts at the caller's alpha and power,
with the sd of per-prompt differences observed in those comparisons (root mean of their
variances), or √½ when there are none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from judgebench.stats.paired import DEFAULT_SD, compare_columns, min_detectable_difference
from judgebench.stats.preferences import PreferenceMatrix
from judgebench.stats.protocols import ModelLike


def _points(
    trained: list[ModelLike], intervals: dict[str, tuple[float | None, float | None, float | None]]
) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []
    for model in trained:
        training = model.training
        assert training is not None
        win_rate, low, high = intervals.get(model.name, (None, None, None))
        points.append(
            {
                "model": model.name,
                "base_model": training.base_model,
                "examples": training.examples,
                "curated": training.curated,
                "dataset": training.dataset,
                "win_rate": win_rate,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return sorted(
        points, key=lambda p: (str(p["base_model"] or ""), bool(p["curated"]), p["examples"] or 0, p["model"])
    )


def curated_vs_large(
    matrix: PreferenceMatrix,
    models: Sequence[ModelLike],
    intervals: dict[str, tuple[float | None, float | None, float | None]],
    rounds: int,
    seed: int,
    alpha: float,
    power: float,
) -> dict[str, object] | None:
    """The ``curated_vs_large`` block of leaderboard.json, or None when no model has training data.

    ``intervals`` maps model → (win_rate, ci_low, ci_high) in points against ``matrix.reference``.
    """
    trained = [m for m in models if m.training is not None and not m.is_reference and m.name in matrix.models]
    if not trained:
        return None
    pairs: list[tuple[int, int]] = []
    for a in trained:
        for b in trained:
            ta, tb = a.training, b.training
            assert ta is not None and tb is not None
            if ta.curated is True and tb.curated is False and ta.base_model == tb.base_model:
                pairs.append((matrix.models.index(a.name), matrix.models.index(b.name)))
    comparisons = compare_columns(matrix.x, pairs, matrix.models, matrix.reference, rounds, seed, alpha)
    variances = [float(np.nanvar(matrix.x[:, a] - matrix.x[:, b], ddof=1)) for a, b in pairs]
    variances = [v for v in variances if math.isfinite(v)]
    sd = math.sqrt(sum(variances) / len(variances)) if variances else DEFAULT_SD
    n_prompts = len(matrix.prompt_ids)
    return {
        "n_prompts": n_prompts,
        "min_detectable_difference": min_detectable_difference(n_prompts, alpha, power, sd),
        "points": _points(trained, intervals),
        "comparisons": [c.to_dict() for c in comparisons],
    }
