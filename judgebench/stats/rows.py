"""The ``rows`` of leaderboard.json: one per (model, reference), or per model for graded runs.

Each row gathers the win-rate columns, intervals, length control, counts (generation failures
counted against the model, see :mod:`judgebench.stats.coverage`), judge reliability, tokens and
training metadata. Ranks and Bradley–Terry ratings are filled in later by the assembler.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from judgebench.stats.bootstrap import mean_intervals
from judgebench.stats.coverage import NO_COUNTS, Counts
from judgebench.stats.length_control import length_controlled
from judgebench.stats.options import StatsOptions
from judgebench.stats.preferences import PreferenceMatrix
from judgebench.stats.protocols import ModelLike
from judgebench.stats.reliability import Reliability, reliability_by
from judgebench.stats.single import mean_scores
from judgebench.stats.winrate import average_length, win_rate_summary

NO_RATES = Reliability(None, None, None, None, None)
Interval = tuple[float | None, float | None, float | None]


def points(value: float) -> float | None:
    """A 0-1 statistic in points, None when not finite."""
    return 100.0 * float(value) if math.isfinite(value) else None


def finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def response_table(responses: pd.DataFrame, column: str) -> pd.DataFrame:
    """prompts × models mean of ``column`` over ok responses (empty when there are none)."""
    if responses.empty or column not in responses:
        return pd.DataFrame()
    ok = responses[responses["status"] == "ok"]
    if ok.empty:
        return pd.DataFrame()
    return ok.groupby(["prompt_id", "model"])[column].mean().unstack("model")


def _aligned(table: pd.DataFrame, prompt_ids: list[str], names: list[str]) -> np.ndarray:
    return table.reindex(index=prompt_ids, columns=names).to_numpy(dtype=float)


def training_fields(info: ModelLike | None) -> dict[str, Any]:
    training = info.training if info is not None else None
    return {
        "base_model": training.base_model if training else None,
        "training_dataset": training.dataset if training else None,
        "training_examples": training.examples if training else None,
        "curated": training.curated if training else None,
        "is_canary": bool(info.is_canary) if info is not None else False,
    }


def token_totals(responses: pd.DataFrame) -> dict[str, tuple[int, int]]:
    if responses.empty:
        return {}
    sums = responses.groupby("model")[["prompt_tokens", "completion_tokens"]].sum(min_count=0).fillna(0)
    return {str(m): (int(r.prompt_tokens), int(r.completion_tokens)) for m, r in sums.iterrows()}


def _count_fields(counts: Counts) -> dict[str, Any]:
    c = counts.to_dict()
    return {k: c[k] for k in ("n_judgments", "n_ok", "n_parse_failures", "n_errors", "n_missing",
                              "n_generation_errors", "parse_failure_rate", "error_rate")}


def _empty_stats() -> dict[str, Any]:
    return {
        "win_rate_ci_low": None, "win_rate_ci_high": None,
        "lc_win_rate": None, "lc_win_rate_ci_low": None, "lc_win_rate_ci_high": None,
        "bt_rating": None, "bt_ci_low": None, "bt_ci_high": None, "rank": None,
        "mean_score": None, "mean_score_ci_low": None, "mean_score_ci_high": None,
    }


def reference_rows(
    judgments: pd.DataFrame,
    responses: pd.DataFrame,
    matrix: PreferenceMatrix,
    info: dict[str, ModelLike],
    counts: dict[tuple[str, str], Counts],
    options: StatsOptions,
) -> tuple[list[dict[str, Any]], dict[str, Interval]]:
    """The rows of one reference (reference models left out) and each model's win-rate interval.

    The length-controlled rate learns prompt difficulty from the real models only: canaries are
    excluded from the difficulty estimate (not from their own LC rate).
    """
    x = matrix.x
    point, low, high = mean_intervals(x, options.rounds, options.seed, options.level)
    lengths = response_table(responses, "length")
    lc = None
    if not lengths.empty and matrix.reference in lengths.columns:
        per_prompt_len = _aligned(lengths, matrix.prompt_ids, matrix.models)
        ref_len = _aligned(lengths, matrix.prompt_ids, [matrix.reference])
        real = np.array([not (m in info and info[m].is_canary) for m in matrix.models])
        lc = length_controlled(x, per_prompt_len - ref_len, options.lc_rounds, options.seed, options.level, real)
    tokens = token_totals(responses)
    rates = reliability_by(judgments[judgments["reference"] == matrix.reference], ["model"])
    rows: list[dict[str, Any]] = []
    intervals: dict[str, Interval] = {}
    for j, model in enumerate(matrix.models):
        intervals[model] = (points(point[j]), points(low[j]), points(high[j]))
        if model in info and info[model].is_reference:
            continue
        rel = rates.get((model,), NO_RATES)
        model_lengths = lengths[model].to_numpy(dtype=float) if model in lengths.columns else np.array([])
        row: dict[str, Any] = {"model": model, "reference": matrix.reference, **training_fields(info.get(model))}
        row |= win_rate_summary(x[:, j]).to_dict()
        row |= _empty_stats()
        row |= {
            "avg_length": average_length(model_lengths),
            "win_rate_ci_low": points(low[j]),
            "win_rate_ci_high": points(high[j]),
            "lc_win_rate": finite(lc.lc_win_rate[j]) if lc else None,
            "lc_win_rate_ci_low": finite(lc.ci_low[j]) if lc else None,
            "lc_win_rate_ci_high": finite(lc.ci_high[j]) if lc else None,
            **_count_fields(counts.get((model, matrix.reference), NO_COUNTS)),
            "position_consistency": rel.position_consistency,
            "tie_rate": rel.tie_rate,
            "prompt_tokens": tokens.get(model, (0, 0))[0],
            "completion_tokens": tokens.get(model, (0, 0))[1],
        }
        rows.append(row)
    return rows, intervals


def single_rows(
    judgments: pd.DataFrame,
    responses: pd.DataFrame,
    info: dict[str, ModelLike],
    counts: dict[tuple[str, str], Counts],
    options: StatsOptions,
) -> list[dict[str, Any]]:
    """Rows with reference "" for single-answer grading: only mean_score and counts are filled."""
    single = judgments[judgments["reference"] == ""]
    if single.empty:
        return []
    scores = {str(s["model"]): s for s in mean_scores(judgments, options.rounds, options.seed, options.level).to_dict("records")}
    tokens = token_totals(responses)
    lengths = response_table(responses, "length")
    rows = []
    for model in dict.fromkeys(single["model"].astype(str)):
        score = scores.get(model)
        row: dict[str, Any] = {"model": model, "reference": "", **training_fields(info.get(model))}
        row |= win_rate_summary(np.array([])).to_dict()
        row |= _empty_stats()
        row |= {
            "avg_length": average_length(lengths[model].to_numpy(dtype=float)) if model in lengths.columns else None,
            **_count_fields(counts.get((model, ""), NO_COUNTS)),
            "position_consistency": None,
            "tie_rate": None,
            "prompt_tokens": tokens.get(model, (0, 0))[0],
            "completion_tokens": tokens.get(model, (0, 0))[1],
        }
        if score is not None:
            row |= {"mean_score": finite(float(score["mean_score"])),
                    "mean_score_ci_low": finite(float(score["ci_low"])),
                    "mean_score_ci_high": finite(float(score["ci_high"]))}
        rows.append(row)
    return rows
