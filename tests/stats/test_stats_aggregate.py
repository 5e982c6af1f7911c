"""build_leaderboard end to end on synthetic suites, and paired_comparison for the CLI and gate."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from stats_helpers import Model, Training, judgments_frame, responses_frame, synthetic_suite

from judgebench.aggregate import build_leaderboard, paired_comparison
from judgebench.errors import ConfigError
from judgebench.stats import StatsOptions

OPTIONS = StatsOptions(rounds=200, lc_rounds=20, bt_rounds=20)
TOP_KEYS = {"schema_version", "suite", "manifest", "references", "rows", "bradley_terry", "paired",
            "curated_vs_large", "categories", "reliability", "flags", "significance", "judge_credentials",
            "judge_adequacy", "completeness"}
ROW_KEYS = {
    "model", "reference", "base_model", "training_dataset", "training_examples", "curated", "is_canary",
    "win_rate", "standard_error", "n_wins", "n_wins_base", "n_draws", "n_total", "discrete_win_rate", "avg_length",
    "win_rate_ci_low", "win_rate_ci_high", "lc_win_rate", "lc_win_rate_ci_low", "lc_win_rate_ci_high",
    "bt_rating", "bt_ci_low", "bt_ci_high", "n_judgments", "n_ok", "n_parse_failures", "n_errors", "n_missing",
    "parse_failure_rate", "error_rate", "position_consistency", "tie_rate", "prompt_tokens", "completion_tokens",
    "mean_score", "rank", "n_generation_errors",
}
MODELS = [
    Model("ref", is_reference=True),
    Model("lima-1k", training=Training("lima", 1000, True, "llama")),
    Model("alpaca-52k", training=Training("alpaca", 52000, False, "llama")),
    Model("dolly-15k", training=Training("dolly", 15000, False, "mistral")),
    Model("canary", is_canary=True),
]
MANIFEST = {"suite": "demo", "references": ["ref"], "n_prompts": 120}


def _plain(value: Any) -> None:
    """Only JSON's own types, all the way down."""
    if isinstance(value, dict):
        for v in value.values():
            _plain(v)
    elif isinstance(value, list):
        for v in value:
            _plain(v)
    else:
        assert value is None or type(value) in (str, int, float, bool), (value, type(value))


@pytest.fixture(scope="module")
def suite() -> tuple[pd.DataFrame, pd.DataFrame]:
    judgments, responses = synthetic_suite({"lima-1k": 0.75, "alpaca-52k": 0.5, "dolly-15k": 0.55, "canary": 0.05}, 120)
    judgments.loc[0, ["status", "preference"]] = ["parse_failure", np.nan]
    judgments.loc[1, "flags"] = "injection"
    # dolly-15k was not judged on the first ten prompts.
    gone = (judgments["model"] == "dolly-15k") & judgments["prompt_id"].isin([f"p{i:04d}" for i in range(10)])
    judgments.loc[gone, ["status", "preference"]] = ["missing", np.nan]
    return judgments, responses


@pytest.fixture(scope="module")
def board(suite: tuple[pd.DataFrame, pd.DataFrame]) -> dict[str, Any]:
    return build_leaderboard(suite[0], suite[1], MODELS, MANIFEST, OPTIONS)


def test_contract_shape_and_plain_json(board: dict[str, Any]) -> None:
    assert set(board) == TOP_KEYS and board["schema_version"] == 1 and board["suite"] == "demo"
    assert board["references"] == ["ref"] and board["manifest"] == MANIFEST
    for row in board["rows"]:
        assert set(row) >= ROW_KEYS
    assert [r["model"] for r in board["rows"]] == ["lima-1k", "dolly-15k", "alpaca-52k", "canary"]
    json.dumps(board, allow_nan=False)
    _plain(board)


def test_rows_match_independent_computation(board: dict[str, Any], suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    judgments, responses = suite
    ok = judgments[judgments["status"] == "ok"]
    rows = {r["model"]: r for r in board["rows"]}
    for model, row in rows.items():
        x = ok[ok["model"] == model].groupby("prompt_id")["preference"].mean()  # one sample per order
        assert row["win_rate"] == pytest.approx(100 * x.mean())
        assert row["n_total"] == len(x)
        assert row["win_rate_ci_low"] < row["win_rate"] < row["win_rate_ci_high"]
        lengths = responses[responses["model"] == model]["length"]
        assert row["avg_length"] == int(lengths.sum() // len(lengths))
        assert row["n_judgments"] == int((judgments["model"] == model).sum())
    assert rows["lima-1k"]["n_parse_failures"] == 1 and rows["lima-1k"]["n_ok"] == 239
    assert rows["dolly-15k"]["n_missing"] == 20 and rows["dolly-15k"]["n_total"] == 110
    assert rows["lima-1k"]["curated"] is True and rows["lima-1k"]["base_model"] == "llama"
    assert rows["canary"]["is_canary"] is True and rows["canary"]["training_examples"] is None
    assert rows["lima-1k"]["prompt_tokens"] == 1200


def test_bradley_terry_block(board: dict[str, Any], suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    bt = board["bradley_terry"]
    assert bt["anchor_model"] == "ref" and bt["anchor_value"] == 50.0 and bt["style_control"] is False
    ratings = {r["model"]: r for r in bt["ratings"]}
    assert ratings["ref"]["rating"] == pytest.approx(50.0)
    for row in board["rows"]:
        assert row["bt_rating"] == ratings[row["model"]]["rating"]
        # A star graph: each model's BT rating is its win rate over all its ok judgments.
        ok = suite[0][(suite[0]["status"] == "ok") & (suite[0]["model"] == row["model"])]
        assert row["bt_rating"] == pytest.approx(100 * ok["preference"].mean(), abs=0.05)


def test_paired_rows_and_paired_comparison_agree(board: dict[str, Any], suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    assert len(board["paired"]) == 3  # every pair of the three contenders (not the canary), the stronger as a
    row = next(p for p in board["paired"] if {p["a"], p["b"]} == {"lima-1k", "alpaca-52k"})
    assert row["a"] == "lima-1k"
    result = paired_comparison(suite[0], "lima-1k", "alpaca-52k", rounds=200, seed=0, alpha=0.05)
    # The same resamples; the page's interval and verdict are Holm-corrected across its 3 pairs.
    for key in ("a", "b", "reference", "n", "diff", "p_value", "min_detectable_difference"):
        assert result.to_dict()[key] == pytest.approx(row[key]), key
    assert (result.comparisons, row["comparisons"]) == (1, 3)
    assert row["ci_low"] <= result.ci_low and row["ci_high"] >= result.ci_high
    assert result.verdict == "A better" and result.significant and row["significant"]
    assert board["significance"]["comparisons"] == 3 and "Holm" in board["significance"]["method"]
    with_missing = paired_comparison(suite[0], "dolly-15k", "alpaca-52k", "ref")
    assert with_missing.n == 110


def test_paired_comparison_errors(suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    with pytest.raises(ConfigError, match="common reference"):
        paired_comparison(suite[0], "lima-1k", "nobody")
    with pytest.raises(ConfigError, match="no judgments against reference 'other'"):
        paired_comparison(suite[0], "lima-1k", "alpaca-52k", "other")


def test_curated_vs_large(board: dict[str, Any]) -> None:
    block = board["curated_vs_large"]
    assert block["n_prompts"] == 120 and 10 < block["min_detectable_difference"] < 25
    assert block["mdd_prompts"] == 120 and block["comparisons"][0]["min_detectable_difference"] == block["min_detectable_difference"]
    assert [p["model"] for p in block["points"]] == ["alpaca-52k", "lima-1k", "dolly-15k"]
    rows = {r["model"]: r for r in board["rows"]}
    for point in block["points"]:
        assert point["win_rate"] == pytest.approx(rows[point["model"]]["win_rate"])
        assert point["ci_low"] == pytest.approx(rows[point["model"]]["win_rate_ci_low"])
    # Only lima-1k (curated) against alpaca-52k (same base, not curated); dolly has another base.
    assert [(c["a"], c["b"]) for c in block["comparisons"]] == [("lima-1k", "alpaca-52k")]


def test_no_training_metadata_means_no_curated_block(suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    bare = [Model(m.name, m.is_reference) for m in MODELS]
    assert build_leaderboard(suite[0], suite[1], bare, MANIFEST, OPTIONS)["curated_vs_large"] is None


def test_categories_and_reliability(board: dict[str, Any], suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    judgments = suite[0]
    cats = board["categories"]
    assert {(c["model"], c["category"]) for c in cats} == {
        (m, c) for m in ["lima-1k", "alpaca-52k", "dolly-15k", "canary"] for c in ["math", "writing"]
    }
    ok = judgments[judgments["status"] == "ok"]
    for c in cats:
        sub = ok[(ok["model"] == c["model"]) & (ok["category"] == c["category"])]
        x = sub.groupby("prompt_id")["preference"].mean()
        assert c["n"] == len(x) and c["win_rate"] == pytest.approx(100 * x.mean())
        assert c["ci_low"] <= c["win_rate"] <= c["ci_high"]
    rel = board["reliability"]
    assert rel["parse_failure_rate"] == pytest.approx(1 / (len(judgments) - 20))
    assert rel["repeat_agreement"] is None and 0 < rel["position_consistency"] < 1
    assert board["flags"] == [
        {"kind": "injection", "model": judgments.loc[1, "model"], "prompt_id": "p0000", "message": board["flags"][0]["message"]}
    ]


def test_a_canary_that_wins_too_often_is_flagged(suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    options = StatsOptions(rounds=20, lc_rounds=5, bt_rounds=5, canary_max_win_rate=1.0)
    flags = build_leaderboard(suite[0], suite[1], MODELS, MANIFEST, options)["flags"]
    canary = [f for f in flags if f["kind"].startswith("canary")]
    assert [f["model"] for f in canary] == ["canary"] and "limit 1%" in canary[0]["message"]
    assert canary[0]["kind"] == "canary_win"  # one flag, one kind: computed in one place


def test_style_control_option(suite: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    options = StatsOptions(rounds=50, lc_rounds=10, bt_rounds=10, style_control=True)
    board = build_leaderboard(suite[0], suite[1], MODELS, MANIFEST, options)
    assert board["bradley_terry"]["style_control"] is True
    ratings = {r["model"]: r["rating"] for r in board["bradley_terry"]["ratings"]}
    assert ratings["ref"] == pytest.approx(50.0) and ratings["lima-1k"] > ratings["canary"]


def test_single_answer_rows() -> None:
    scores = {("a", "p1"): [8.0, 6.0], ("a", "p2"): [5.0], ("b", "p1"): [3.0], ("b", "p2"): [4.0]}
    rows = [
        {"model": m, "reference": "", "prompt_id": p, "order": "", "sample": s, "preference": np.nan, "score": v}
        for (m, p), values in scores.items()
        for s, v in enumerate(values)
    ]
    judgments = judgments_frame(rows)
    responses = responses_frame({("a", "p1"): 10, ("a", "p2"): 20, ("b", "p1"): 5, ("b", "p2"): 5})
    board = build_leaderboard(judgments, responses, [Model("a"), Model("b")], {"suite": "s"}, OPTIONS)
    by_model = {r["model"]: r for r in board["rows"]}
    assert by_model["a"]["mean_score"] == pytest.approx((7.0 + 5.0) / 2)  # samples averaged first
    assert by_model["b"]["mean_score"] == pytest.approx(3.5)
    assert by_model["a"]["reference"] == "" and by_model["a"]["win_rate"] is None
    assert by_model["a"]["mean_score_ci_low"] <= 6.0 <= by_model["a"]["mean_score_ci_high"]
    assert board["bradley_terry"]["ratings"] == [] and board["paired"] == []
    json.dumps(board, allow_nan=False)
