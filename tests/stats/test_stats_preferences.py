"""From judgment rows to per-prompt preferences, matrices and status counts."""

from __future__ import annotations

import numpy as np
import pytest
from stats_helpers import judgments_frame

from judgebench.stats import per_prompt_preferences, preference_matrix, prompt_categories, status_counts

ROWS = [
    {"model": "m", "reference": "r", "prompt_id": "p1", "order": "AB", "sample": 0, "preference": 1.0},
    {"model": "m", "reference": "r", "prompt_id": "p1", "order": "AB", "sample": 1, "preference": 0.0},
    {"model": "m", "reference": "r", "prompt_id": "p1", "order": "AB", "sample": 2, "preference": 1.0},
    {"model": "m", "reference": "r", "prompt_id": "p1", "order": "BA", "sample": 0, "preference": 0.0},
    {"model": "m", "reference": "r", "prompt_id": "p2", "order": "AB", "preference": 0.5, "category": "math"},
    {"model": "m", "reference": "r", "prompt_id": "p2", "order": "BA", "preference": 0.0, "status": "parse_failure"},
    {"model": "m", "reference": "r", "prompt_id": "p3", "order": "AB", "preference": 1.0, "status": "error"},
    {"model": "n", "reference": "r", "prompt_id": "p3", "order": "AB", "preference": 0.25},
    {"model": "n", "reference": "r", "prompt_id": "p4", "order": "AB", "preference": 0.0, "status": "missing"},
    {"model": "s", "reference": "", "prompt_id": "p1", "order": "", "preference": np.nan, "score": 7.0},
]


def test_samples_then_orders_are_averaged() -> None:
    per_prompt = per_prompt_preferences(judgments_frame(ROWS)).set_index(["model", "prompt_id"])
    # p1: AB samples average to 2/3, BA gives 0 → (2/3 + 0) / 2; four usable judgments.
    assert per_prompt.loc[("m", "p1"), "x"] == pytest.approx(1 / 3)
    assert per_prompt.loc[("m", "p1"), "n_ok"] == 4
    assert per_prompt.loc[("m", "p2"), "x"] == 0.5  # the failed BA judgment is not a loss
    assert ("m", "p3") not in per_prompt.index and ("s", "p1") not in per_prompt.index


def test_matrix_keeps_every_prompt_judged_against_the_reference() -> None:
    judgments = judgments_frame(ROWS)
    matrix = preference_matrix(judgments, per_prompt_preferences(judgments), "r", ["m", "n"])
    assert matrix.prompt_ids == ["p1", "p2", "p3", "p4"]
    np.testing.assert_allclose(matrix.x, [[1 / 3, np.nan], [0.5, np.nan], [np.nan, 0.25], [np.nan, np.nan]])
    np.testing.assert_allclose(matrix.column("n"), matrix.x[:, 1])


def test_status_counts_and_categories() -> None:
    judgments = judgments_frame(ROWS)
    counts = status_counts(judgments)
    assert counts.loc[("m", "r")].to_dict() == {"ok": 5, "parse_failure": 1, "error": 1, "missing": 0}
    assert counts.loc[("n", "r")].to_dict() == {"ok": 1, "parse_failure": 0, "error": 0, "missing": 1}
    assert prompt_categories(judgments) == {"p1": "", "p2": "math", "p3": "", "p4": ""}
