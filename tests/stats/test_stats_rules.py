"""Leaderboard rules: canaries and LC, failures counted, the judge-adequacy rule, ranks, no warnings."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from stats_helpers import Model, consistent_suite, judgments_frame, responses_frame, synthetic_suite

from judgebench.aggregate import build_leaderboard, judge_adequacy_of
from judgebench.errors import ConfigError
from judgebench.stats import StatsOptions

OPTIONS = StatsOptions(rounds=200, lc_rounds=20, bt_rounds=20)
REAL = {"strong": 0.7, "middle": 0.5, "weak": 0.35}
MODELS = [Model("ref", is_reference=True), *(Model(m) for m in REAL)]
CANARIES = [Model("canary-empty", is_canary=True), Model("canary-verbose", is_canary=True)]
MANIFEST = {"suite": "s", "references": ["ref"]}


def credential(name: str, accuracy: float, ci: tuple[float, float], **extra: Any) -> dict[str, Any]:
    """One validation set in exactly the shape `validate-judge` reports."""
    return {"name": name, "pairs": 50, "judgments": 100, "scoring": "argmax", "accuracy": accuracy,
            "accuracy_ci": list(ci), "positional_agreement": 0.8, "kappa": 0.6, "kappa_ci": [0.4, 0.8],
            "parse_failure_rate": 0.0, "chance": 0.5, **extra}


def _rows(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["model"]: r for r in board["rows"]}


def difficult_suite(n_prompts: int = 200, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prompts of very different difficulty, a length-biased judge, and canaries that lose."""
    rng = np.random.default_rng(seed)
    theta = {"strong": 1.0, "middle": 0.0, "weak": -0.8, "canary-empty": -4.0, "canary-verbose": -3.0}
    delta = rng.normal(0.0, 2.0, n_prompts)
    rows, lengths = [], {}
    for i in range(n_prompts):
        pid = f"p{i:04d}"
        lengths[("ref", pid)] = int(rng.integers(200, 800))
        for model, t in theta.items():
            x = float(rng.random() < 1.0 / (1.0 + np.exp(-(t - delta[i]))))
            lengths[(model, pid)] = int(rng.integers(200, 800) + 400 * x)  # the judge likes long answers
            rows += [{"model": model, "reference": "ref", "prompt_id": pid, "order": o, "preference": x}
                     for o in ("AB", "BA")]
    return judgments_frame(rows), responses_frame(lengths)


def test_adding_canaries_leaves_real_models_length_controlled_rates_unchanged() -> None:
    judgments, responses = difficult_suite()
    real_only = judgments[~judgments["model"].str.startswith("canary")]
    without = _rows(build_leaderboard(real_only, responses, MODELS, MANIFEST, OPTIONS))
    with_canaries = _rows(build_leaderboard(judgments, responses, MODELS + CANARIES, MANIFEST, OPTIONS))
    for model in REAL:
        for key in ("lc_win_rate", "lc_win_rate_ci_low", "lc_win_rate_ci_high"):
            assert with_canaries[model][key] == pytest.approx(without[model][key], abs=1e-9), (model, key)
    assert with_canaries["canary-empty"]["lc_win_rate"] is not None  # canaries still get their own LC
    # Were canaries counted as models, they would shift the difficulty (the bug this guards).
    as_models = _rows(build_leaderboard(judgments, responses, MODELS + [Model(c.name) for c in CANARIES],
                                        MANIFEST, OPTIONS))
    assert any(abs(as_models[m]["lc_win_rate"] - without[m]["lc_win_rate"]) > 0.05 for m in REAL)


def test_every_canary_is_flagged_once() -> None:
    judgments, responses = synthetic_suite({**REAL, "canary-verbose": 0.9}, 60, seed=1)
    board = build_leaderboard(judgments, responses, MODELS + CANARIES[1:], MANIFEST, OPTIONS)
    flags = [f for f in board["flags"] if f["model"] == "canary-verbose"]
    assert [f["kind"] for f in flags] == ["canary_win"] and "can be gamed" in flags[0]["message"]


def test_injection_flag_names_the_response_not_the_judge() -> None:
    judgments, responses = synthetic_suite(REAL, 10)
    judgments.loc[judgments["prompt_id"] == "p0003", "flags"] = "injection"  # every order and sample
    board = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS)
    flags = [f for f in board["flags"] if f["kind"] == "injection"]
    assert len(flags) == len(REAL)  # one per (model, prompt), not one per judgment
    message = flags[0]["message"]
    assert "response" in message and "judge flagged" not in message and "p0003" in message


def _all_generation_failed(n_prompts: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [{"model": m, "reference": "ref", "prompt_id": f"p{i}", "order": o, "status": "missing", "preference": np.nan}
            for m in REAL for i in range(n_prompts) for o in ("AB", "BA")]
    responses = responses_frame({(m, f"p{i}"): 0 for m in [*REAL, "ref"] for i in range(n_prompts)})
    responses["status"], responses["text"], responses["length"] = "error", "", 0
    return judgments_frame(rows), responses


def test_a_run_whose_generations_all_failed_counts_errors_and_is_incomplete() -> None:
    judgments, responses = _all_generation_failed()
    board = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS)
    rows = _rows(board)
    assert set(rows) == set(REAL)
    for row in rows.values():
        assert row["n_errors"] == 10 and row["n_missing"] == 0 and row["n_generation_errors"] == 5
        assert row["error_rate"] == 1.0 and row["win_rate"] is None and row["rank"] is None
    done = board["completeness"]
    assert done["complete"] is False and done["generation_errors"] == 20 and done["judged"] == 0
    assert done["blocked_by_generation"] == 30 and "Incomplete" in done["message"]


def test_a_complete_run_says_so() -> None:
    judgments, responses = synthetic_suite(REAL, 20)
    done = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS)["completeness"]
    assert done["complete"] is True and done["planned_judgments"] == done["judged"] == len(judgments)


@pytest.mark.parametrize("case", ["all ties", "one prompt", "all errors", "nothing", "single answer, all errors"])
def test_degenerate_inputs_raise_no_numpy_warning(case: str) -> None:
    if case == "all ties":
        judgments, responses = synthetic_suite(REAL, 30)
        judgments["preference"], judgments["label"] = 0.5, "tie"
    elif case == "one prompt":
        judgments, responses = synthetic_suite(REAL, 1)
    elif case == "all errors":
        judgments, responses = _all_generation_failed()
    elif case == "nothing":
        judgments, responses = judgments_frame([]).reindex(columns=list(synthetic_suite(REAL, 1)[0].columns)), responses_frame({})
    else:
        judgments = judgments_frame([{"model": m, "reference": "", "prompt_id": "p0", "order": "", "status": "error",
                                      "preference": np.nan} for m in REAL])
        responses = responses_frame({(m, "p0"): 3 for m in REAL})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        board = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS)
    json.dumps(board, allow_nan=False)


def test_ranks_follow_significant_differences_only() -> None:
    judgments, responses = synthetic_suite({"best": 0.9, "twin-a": 0.5, "twin-b": 0.5}, 200, seed=2)
    models = [Model("ref", is_reference=True), Model("best"), Model("twin-a"), Model("twin-b")]
    rows = _rows(build_leaderboard(judgments, responses, models, MANIFEST, OPTIONS))
    assert rows["best"]["rank"] == 1
    assert rows["twin-a"]["rank"] == rows["twin-b"]["rank"] == 2  # not told apart: they share a rank


def test_judge_credentials_are_stored_and_a_judge_below_chance_is_too_weak() -> None:
    judgments, responses = synthetic_suite(REAL, 120, seed=5)
    weak = [credential("llmbar-natural", 0.52, (0.42, 0.61)), credential("pandalm", 0.49, (0.40, 0.58))]
    board = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS, judge_credentials=weak)
    assert [c["name"] for c in board["judge_credentials"]] == ["llmbar-natural", "pandalm"]
    assert board["judge_credentials"][0]["accuracy_ci"] == [0.42, 0.61]
    adequacy = board["judge_adequacy"]
    assert adequacy["status"] == "too weak" and "not above chance" in adequacy["reasons"][0]
    assert board["paired"] and {p["verdict"] for p in board["paired"]} == {"inconclusive"}
    assert not any(p["significant"] for p in board["paired"])
    assert all(p["diff"] is not None and p["ci_low"] is not None for p in board["paired"])  # numbers stay
    assert all(r["rank"] is None for r in board["rows"])


def test_a_validated_judge_ranks_and_an_unvalidated_one_is_named() -> None:
    judgments, responses = consistent_suite(REAL, 120, seed=5)
    good = [credential("llmbar-natural", 0.52, (0.42, 0.61)), credential("pandalm", 0.8, (0.72, 0.87))]
    board = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS, judge_credentials=good)
    assert board["judge_adequacy"] | {"notes": []} == {
        "status": "adequate", "reasons": [], "rule": board["judge_adequacy"]["rule"], "notes": []}
    assert "inconclusive" not in {p["verdict"] for p in board["paired"]}
    assert _rows(board)["strong"]["rank"] == 1
    plain = build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS)
    assert plain["judge_adequacy"]["status"] == "unvalidated" and plain["judge_credentials"] == []


def _always_a_but_debiased(seed: int) -> pd.DataFrame:
    """A judge that answers "A" in both orders (raw position consistency 0) whose logprob margins,
    debiased over the two orders, still carry a preference (what ``scoring: debiased-logprob`` yields)."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in REAL:
        for i in range(40):
            debiased = float(rng.uniform(0.2, 0.8))
            for o in ("AB", "BA"):
                rows.append({"model": m, "reference": "ref", "prompt_id": f"p{i}", "order": o, "label": "A",
                             "preference": debiased, "raw_preference": 1.0 if o == "AB" else 0.0})
    return judgments_frame(rows)


def test_a_debiased_judge_is_measured_on_its_raw_verdicts_and_must_be_validated_to_rank() -> None:
    judgments = _always_a_but_debiased(seed=3)
    validated = judge_adequacy_of(judgments, [credential("llmbar-natural", 0.66, (0.52, 0.80), published={"GPT-4": 0.96})])
    assert validated.status == "adequate"
    assert "0.00 of the pairs" in validated.notes[0] and "debiased" in validated.notes[0]  # the raw bias is told
    assert "GPT-4's published 0.96" in validated.notes[1]  # and how far the judge is from a strong one
    unproven = judge_adequacy_of(judgments, [credential("llmbar-natural", 0.55, (0.41, 0.68))])
    assert unproven.too_weak and any("position consistency 0.00" in r for r in unproven.reasons)
    assert judge_adequacy_of(judgments).too_weak  # no validation set: the position floor still applies
    plain = judgments.drop(columns=["raw_preference"])  # the same preferences, not known to be debiased
    assert judge_adequacy_of(plain).status == "unvalidated"  # consistent by construction, so no floor hit


def test_a_degenerate_judge_is_too_weak_whatever_its_credentials() -> None:
    """The demo's judge answers "A" whatever the order: position consistency 0."""
    rows = [{"model": m, "reference": "ref", "prompt_id": f"p{i}", "order": o, "preference": 1.0 if o == "AB" else 0.0,
             "label": "A"} for m in REAL for i in range(40) for o in ("AB", "BA")]
    judgments = judgments_frame(rows)
    adequacy = judge_adequacy_of(judgments, [credential("x", 0.9, (0.85, 0.95))])
    assert adequacy.too_weak and "position consistency 0.00" in adequacy.reasons[0]
    assert "degenerate" in adequacy.reasons[0]


def test_parse_failures_above_the_limit_make_the_judge_too_weak() -> None:
    judgments, _ = consistent_suite(REAL, 40)
    judgments.loc[judgments.index[:20], ["status", "preference"]] = ["parse_failure", np.nan]
    assert judge_adequacy_of(judgments, options=StatsOptions(max_parse_failure_rate=0.05)).too_weak
    assert not judge_adequacy_of(judgments, options=StatsOptions(max_parse_failure_rate=0.5)).too_weak


@pytest.mark.parametrize("bad", [
    {"name": "x"},
    {**credential("x", 0.5, (0.4, 0.6)), "scoring": "vibes"},
    {**credential("x", 1.5, (0.4, 0.6))},
    {**credential("x", 0.5, (0.6, 0.4))},
    {**credential("x", 0.5, (0.4, 0.6)), "published": {"gpt-4": "high"}},
])
def test_malformed_credentials_are_refused(bad: dict[str, Any]) -> None:
    judgments, responses = synthetic_suite(REAL, 5)
    with pytest.raises(ConfigError, match="judge credential"):
        build_leaderboard(judgments, responses, MODELS, MANIFEST, OPTIONS, judge_credentials=[bad])
