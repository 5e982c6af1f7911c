"""The curated-versus-large analysis: does a small curated training set match a large one?

Points: each model with training metadata, its win rate (with interval) against the primary
reference, its training-set size, base model and curated flag — the table the site draws as win
rate against examples, grouped by base model and curated flag.

Comparisons: each curated model against each non-curated model of the same base model (models
without a base model form one group; models whose curated flag is unknown are not compared), as
paired comparisons on the same prompts.

Minimum detectable difference: :func:`judgebench.stats.paired.min_detectable_difference` for the
fewest prompts any of those comparisons was made on (the suite's prompts when there is none), so
the page prints the same number as ``report`` and the gate for the same pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from judgebench.stats.paired import PairedComparison, min_detectable_difference
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


def curated_pairs(matrix: PreferenceMatrix, models: Sequence[ModelLike]) -> list[tuple[str, str]]:
    """(curated, large) model pairs to compare: same base model, curated flag known and different."""
    trained = [m for m in models if m.training is not None and not m.is_reference and m.name in matrix.models]
    pairs = []
    for a in trained:
        for b in trained:
            ta, tb = a.training, b.training
            assert ta is not None and tb is not None
            if ta.curated is True and tb.curated is False and ta.base_model == tb.base_model:
                pairs.append((a.name, b.name))
    return pairs


def curated_vs_large(
    matrix: PreferenceMatrix,
    models: Sequence[ModelLike],
    intervals: dict[str, tuple[float | None, float | None, float | None]],
    comparisons: Sequence[PairedComparison],
    alpha: float,
    power: float,
) -> dict[str, object] | None:
    """The ``curated_vs_large`` block of leaderboard.json, or None when no model has training data.

    ``intervals`` maps model → (win_rate, ci_low, ci_high) in points against ``matrix.reference``;
    ``comparisons`` are the decided :func:`curated_pairs` (a = curated), from the page's family.
    """
    trained = [m for m in models if m.training is not None and not m.is_reference and m.name in matrix.models]
    if not trained:
        return None
    n_prompts = len(matrix.prompt_ids)
    compared = [c.n for c in comparisons if c.n > 0]
    mdd_n = min(compared) if compared else n_prompts
    return {
        "n_prompts": n_prompts,
        "mdd_prompts": mdd_n,
        "min_detectable_difference": min_detectable_difference(mdd_n, alpha, power),
        "points": _points(trained, intervals),
        "comparisons": [c.to_dict() for c in comparisons],
    }
