"""Judge reliability rates on a frame small enough to count by hand."""

from __future__ import annotations

import pytest
from stats_helpers import judgments_frame

from judgebench.stats import reliability


def _row(pid: str, order: str, x: float, label: str = "", sample: int = 0, status: str = "ok") -> dict:
    return {"model": "m", "reference": "r", "prompt_id": pid, "order": order, "preference": x,
            "label": label, "sample": sample, "status": status}


ROWS = [
    _row("p1", "AB", 1.0, "A"), _row("p1", "AB", 1.0, "A", sample=1), _row("p1", "BA", 1.0, "B"),
    _row("p2", "AB", 1.0, "A"), _row("p2", "AB", 0.0, "B", sample=1), _row("p2", "BA", 0.0, "A"),
    _row("p3", "AB", 0.5, "tie"), _row("p3", "BA", 0.5, "tie"),
    _row("p4", "AB", 0.0, "B"), _row("p4", "BA", 0.0, status="parse_failure"),
    _row("p5", "AB", 0.0, status="error"), _row("p5", "BA", 0.0, status="missing"),
]


def test_rates_by_hand() -> None:
    result = reliability(judgments_frame(ROWS))
    # p1 both favour the model; p2's AB samples average to a tie while BA favours the reference; p3 ties twice.
    assert result.position_consistency == pytest.approx(2 / 3)
    assert result.tie_rate == pytest.approx(2 / 9)  # 9 ok judgments, 2 of them ties
    assert result.parse_failure_rate == pytest.approx(1 / 11)  # missing rows are not attempts
    assert result.error_rate == pytest.approx(1 / 11)
    assert result.repeat_agreement == pytest.approx(1 / 2)  # (p1, AB) agrees, (p2, AB) does not


def test_without_repeats_or_orders() -> None:
    single = judgments_frame([_row("p1", "", 1.0), _row("p2", "", 0.5)])
    result = reliability(single)
    assert result.repeat_agreement is None and result.position_consistency is None
    assert result.tie_rate == 0.5 and result.error_rate == 0.0


def test_labels_fall_back_to_preference_class() -> None:
    rows = [_row("p1", "AB", 1.0), _row("p1", "AB", 0.9, sample=1), _row("p2", "AB", 1.0), _row("p2", "AB", 0.5, sample=1)]
    assert reliability(judgments_frame(rows)).repeat_agreement == 0.5


def test_grouped_rates_equal_rates_of_each_subset() -> None:
    from stats_helpers import synthetic_suite

    from judgebench.stats.reliability import reliability_by

    judgments, _ = synthetic_suite({"a": 0.7, "b": 0.4}, 30, seed=5)
    judgments.loc[3, "status"] = "error"
    grouped = reliability_by(judgments, ["model", "reference"])
    assert set(grouped) == {("a", "ref"), ("b", "ref")}
    for (model, reference), rates in grouped.items():
        subset = judgments[(judgments["model"] == model) & (judgments["reference"] == reference)]
        assert rates == reliability(subset)


def test_single_answer_repeats_compare_scores() -> None:
    rows = [
        {"model": "m", "reference": "", "prompt_id": "p1", "order": "", "sample": 0, "preference": float("nan"), "score": 7.0},
        {"model": "m", "reference": "", "prompt_id": "p1", "order": "", "sample": 1, "preference": float("nan"), "score": 7.0},
        {"model": "m", "reference": "", "prompt_id": "p2", "order": "", "sample": 0, "preference": float("nan"), "score": 3.0},
        {"model": "m", "reference": "", "prompt_id": "p2", "order": "", "sample": 1, "preference": float("nan"), "score": 5.0},
    ]
    result = reliability(judgments_frame(rows))
    assert result.repeat_agreement == 0.5  # p1 graded 7 twice; p2 graded 3 then 5
    assert result.tie_rate is None and result.parse_failure_rate == 0.0
