"""Judgments + responses → leaderboard.json (schema_version 1, docs/CONTRACTS.md).

This module only assembles: every statistic lives in :mod:`judgebench.stats`. Two entry points:

* :func:`build_leaderboard` — the whole leaderboard dict, JSON-serialisable (no numpy scalars,
  NaN and ±inf become None).
* :func:`paired_comparison` — one model against another on the same reference; used by
  ``judgebench compare`` and by the CI gate.

Additions to the contract (keys added, none changed):

* rows also carry ``mean_score_ci_low`` / ``mean_score_ci_high``; single-answer grading yields one
  row per model with ``reference`` "" where only ``mean_score`` (and counts) are filled;
* ``paired`` holds every pair of contenders per reference (references and canaries are not
  contenders; pairs without a common prompt are left out), the higher raw win rate as ``a``;
* ``flags`` also holds model-level flags (``prompt_id`` ""): kind "canary" when a canary's win
  rate exceeds ``StatsOptions.canary_max_win_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from judgebench.errors import ConfigError
from judgebench.stats.bootstrap import mean_intervals
from judgebench.stats.bradley_terry import BradleyTerry, fit_bradley_terry
from judgebench.stats.categories import category_win_rates
from judgebench.stats.curated import curated_vs_large
from judgebench.stats.games import games_from_preferences
from judgebench.stats.length_control import length_controlled
from judgebench.stats.options import StatsOptions
from judgebench.stats.paired import PairedComparison, compare_columns
from judgebench.stats.preferences import (
    PreferenceMatrix,
    per_prompt_preferences,
    preference_matrix,
    prompt_categories,
    status_counts,
)
from judgebench.stats.protocols import ModelLike
from judgebench.stats.reliability import Reliability, reliability, reliability_by
from judgebench.stats.single import mean_scores
from judgebench.stats.winrate import average_length, win_rate_summary

__all__ = ["StatsOptions", "build_leaderboard", "paired_comparison"]

SCHEMA_VERSION = 1
NO_RATES = Reliability(None, None, None, None, None)
Interval = tuple[float | None, float | None, float | None]


def to_json(value: Any) -> Any:
    """Plain Python values only: numpy scalars unwrapped, NaN/inf → None, tuples → lists."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_json(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # dates, paths and the like in a manifest


def _points(value: float) -> float | None:
    """A 0-1 statistic in points, None when not finite."""
    return 100.0 * float(value) if math.isfinite(value) else None


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _references(judgments: pd.DataFrame, models: Sequence[ModelLike], manifest: dict[str, Any]) -> list[str]:
    """Manifest order first, then models marked as references, then any reference judged against."""
    ordered: list[str] = list(manifest.get("references") or [])
    ordered += [m.name for m in models if m.is_reference]
    ordered += [str(r) for r in judgments["reference"].unique() if r != ""]
    return list(dict.fromkeys(ordered))


def _ordered_models(names: Sequence[str], models: Sequence[ModelLike]) -> list[str]:
    """``names`` in suite order, unknown names after them alphabetically."""
    known = [m.name for m in models if m.name in set(names)]
    return known + sorted(set(names) - set(known))


def _matrix(judgments: pd.DataFrame, per_prompt: pd.DataFrame, reference: str, models: Sequence[ModelLike]) -> PreferenceMatrix:
    """Every model judged against ``reference`` (any status) as prompts × models."""
    judged = judgments.loc[judgments["reference"] == reference, "model"].astype(str).unique()
    return preference_matrix(judgments, per_prompt, reference, _ordered_models(list(judged), models))


def _response_table(responses: pd.DataFrame, column: str) -> pd.DataFrame:
    """prompts × models mean of ``column`` over ok responses (empty when there are none)."""
    if responses.empty or column not in responses:
        return pd.DataFrame()
    ok = responses[responses["status"] == "ok"]
    return ok.groupby(["prompt_id", "model"])[column].mean().unstack("model")


def _aligned(table: pd.DataFrame, prompt_ids: list[str], names: list[str]) -> np.ndarray:
    return table.reindex(index=prompt_ids, columns=names).to_numpy(dtype=float)


def paired_comparison(
    judgments: pd.DataFrame,
    a: str,
    b: str,
    reference: str | None = None,
    *,
    rounds: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> PairedComparison:
    """Compare model ``a`` with model ``b`` against the same reference on their common prompts.

    ``judgments`` is the judgments frame (docs/CONTRACTS.md). ``reference`` defaults to the first
    reference both models were judged against. The result (a frozen dataclass with ``to_dict()``)
    holds n, diff = win rate a − b in points, its paired-bootstrap interval at level 1 − alpha
    (``rounds`` rounds, ``seed``), the two-sided sign-test p-value, the verdict ("A better",
    "B better", "no significant difference") and ``significant``. It equals the matching row of
    leaderboard.json's ``paired`` list built with the same seed, rounds and alpha.

    Raises ConfigError when either model has no judgment against the reference.
    """
    pairwise = judgments[judgments["reference"] != ""]
    refs_a = list(dict.fromkeys(pairwise.loc[pairwise["model"] == a, "reference"]))
    refs_b = set(pairwise.loc[pairwise["model"] == b, "reference"])
    if reference is None:
        common = [r for r in refs_a if r in refs_b]
        if not common:
            raise ConfigError(
                f"models {a!r} and {b!r} were never judged against a common reference",
                "Check both names with `judgebench report`; compare needs pairwise judgments of both.",
            )
        reference = str(common[0])
    for name, refs in ((a, refs_a), (b, refs_b)):
        if reference not in refs:
            raise ConfigError(
                f"model {name!r} has no judgments against reference {reference!r}",
                "Run `judgebench judge` for it first, or pass another --reference.",
            )
    matrix = _matrix(judgments, per_prompt_preferences(judgments), reference, [])
    pair = [(matrix.models.index(a), matrix.models.index(b))]
    return compare_columns(matrix.x, pair, matrix.models, reference, rounds, seed, alpha)[0]


def _bradley_terry(
    per_prompt: pd.DataFrame, responses: pd.DataFrame, anchor: str | None, options: StatsOptions
) -> BradleyTerry | None:
    games = games_from_preferences(per_prompt, responses, options.style_control)
    if games is None or anchor is None or anchor not in games.players:
        return None
    return fit_bradley_terry(games, anchor, options.bt_rounds, options.seed, options.level)


def _training_fields(info: ModelLike | None) -> dict[str, Any]:
    training = info.training if info is not None else None
    return {
        "base_model": training.base_model if training else None,
        "training_dataset": training.dataset if training else None,
        "training_examples": training.examples if training else None,
        "curated": training.curated if training else None,
        "is_canary": bool(info.is_canary) if info is not None else False,
    }


def _token_totals(responses: pd.DataFrame) -> dict[str, tuple[int, int]]:
    if responses.empty:
        return {}
    sums = responses.groupby("model")[["prompt_tokens", "completion_tokens"]].sum(min_count=0).fillna(0)
    return {str(m): (int(r.prompt_tokens), int(r.completion_tokens)) for m, r in sums.iterrows()}


def _status_fields(counts: pd.DataFrame, model: str, reference: str) -> dict[str, Any]:
    table: dict[Any, dict[Any, Any]] = counts.to_dict("index")
    row = table.get((model, reference), {})
    ok, parse, error, missing = (int(row.get(s, 0)) for s in ("ok", "parse_failure", "error", "missing"))
    return {
        "n_judgments": ok + parse + error + missing,
        "n_ok": ok,
        "n_parse_failures": parse,
        "n_errors": error,
        "n_missing": missing,
    }


def _reference_rows(
    judgments: pd.DataFrame,
    responses: pd.DataFrame,
    matrix: PreferenceMatrix,
    info: dict[str, ModelLike],
    counts: pd.DataFrame,
    options: StatsOptions,
) -> tuple[list[dict[str, Any]], dict[str, Interval]]:
    """The rows of one reference (reference models left out) and each model's win-rate interval."""
    x = matrix.x
    point, low, high = mean_intervals(x, options.rounds, options.seed, options.level)
    lengths = _response_table(responses, "length")
    lc = None
    if not lengths.empty and matrix.reference in lengths.columns:
        per_prompt_len = _aligned(lengths, matrix.prompt_ids, matrix.models)
        ref_len = _aligned(lengths, matrix.prompt_ids, [matrix.reference])
        lc = length_controlled(x, per_prompt_len - ref_len, options.lc_rounds, options.seed, options.level)
    tokens = _token_totals(responses)
    rates = reliability_by(judgments[judgments["reference"] == matrix.reference], ["model"])
    rows: list[dict[str, Any]] = []
    intervals: dict[str, Interval] = {}
    for j, model in enumerate(matrix.models):
        intervals[model] = (_points(point[j]), _points(low[j]), _points(high[j]))
        if model in info and info[model].is_reference:
            continue
        rel = rates.get((model,), NO_RATES)
        model_lengths = lengths[model].to_numpy(dtype=float) if model in lengths.columns else np.array([])
        row: dict[str, Any] = {"model": model, "reference": matrix.reference, **_training_fields(info.get(model))}
        row |= win_rate_summary(x[:, j]).to_dict()
        row |= {
            "avg_length": average_length(model_lengths),
            "win_rate_ci_low": _points(low[j]),
            "win_rate_ci_high": _points(high[j]),
            "lc_win_rate": _finite(lc.lc_win_rate[j]) if lc else None,
            "lc_win_rate_ci_low": _finite(lc.ci_low[j]) if lc else None,
            "lc_win_rate_ci_high": _finite(lc.ci_high[j]) if lc else None,
            "bt_rating": None,
            "bt_ci_low": None,
            "bt_ci_high": None,
            **_status_fields(counts, model, matrix.reference),
            "parse_failure_rate": rel.parse_failure_rate,
            "error_rate": rel.error_rate,
            "position_consistency": rel.position_consistency,
            "tie_rate": rel.tie_rate,
            "prompt_tokens": tokens.get(model, (0, 0))[0],
            "completion_tokens": tokens.get(model, (0, 0))[1],
            "mean_score": None,
            "mean_score_ci_low": None,
            "mean_score_ci_high": None,
        }
        rows.append(row)
    return rows, intervals


def _single_rows(
    judgments: pd.DataFrame, responses: pd.DataFrame, info: dict[str, ModelLike], options: StatsOptions
) -> list[dict[str, Any]]:
    """Rows with reference "" for single-answer grading: only mean_score and counts are filled."""
    scores = mean_scores(judgments, options.rounds, options.seed, options.level)
    if scores.empty:
        return []
    single = judgments[judgments["reference"] == ""]
    counts = single.groupby(["model", "reference"])["status"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=["ok", "parse_failure", "error", "missing"], fill_value=0)
    tokens = _token_totals(responses)
    lengths = _response_table(responses, "length")
    rates = reliability_by(single, ["model"])
    rows = []
    for score in scores.to_dict("records"):
        model = str(score["model"])
        rel = rates.get((model,), NO_RATES)
        row: dict[str, Any] = {"model": model, "reference": "", **_training_fields(info.get(model))}
        row |= win_rate_summary(np.array([])).to_dict()
        row |= {
            "avg_length": average_length(lengths[model].to_numpy(dtype=float)) if model in lengths.columns else None,
            "win_rate_ci_low": None,
            "win_rate_ci_high": None,
            "lc_win_rate": None,
            "lc_win_rate_ci_low": None,
            "lc_win_rate_ci_high": None,
            "bt_rating": None,
            "bt_ci_low": None,
            "bt_ci_high": None,
            **_status_fields(counts, model, ""),
            "parse_failure_rate": rel.parse_failure_rate,
            "error_rate": rel.error_rate,
            "position_consistency": None,
            "tie_rate": None,
            "prompt_tokens": tokens.get(model, (0, 0))[0],
            "completion_tokens": tokens.get(model, (0, 0))[1],
            "mean_score": _finite(float(score["mean_score"])),
            "mean_score_ci_low": _finite(float(score["ci_low"])),
            "mean_score_ci_high": _finite(float(score["ci_high"])),
        }
        rows.append(row)
    return rows


def _paired_rows(matrix: PreferenceMatrix, info: dict[str, ModelLike], options: StatsOptions) -> list[dict[str, Any]]:
    """Every pair of contenders on this reference, the higher raw win rate as ``a``.

    References and canaries (null models that test the judge) are not contenders. Pairs without a
    common prompt are left out: there is nothing to compare.
    """
    candidates = [
        j for j, m in enumerate(matrix.models) if not (m in info and (info[m].is_reference or info[m].is_canary))
    ]
    with np.errstate(invalid="ignore"):
        means = np.array([np.nanmean(matrix.x[:, j]) if np.any(~np.isnan(matrix.x[:, j])) else -1.0 for j in candidates])
    ranked = [candidates[k] for k in np.argsort(-means, kind="stable")]
    pairs = [(a, b) for n, a in enumerate(ranked) for b in ranked[n + 1 :]]
    comparisons = compare_columns(matrix.x, pairs, matrix.models, matrix.reference, options.rounds, options.seed, options.alpha)
    return [c.to_dict() for c in comparisons if c.n > 0]


def _flags(judgments: pd.DataFrame) -> list[dict[str, Any]]:
    """One flag per (kind, model, prompt) raised by the judge (e.g. "injection")."""
    flagged = judgments[judgments["flags"].fillna("").astype(str) != ""]
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in flagged.to_dict("records"):
        for kind in (f.strip() for f in str(row["flags"]).split(",")):
            key = (kind, str(row["model"]), str(row["prompt_id"]))
            if kind and key not in seen:
                against = f"vs {row['reference']}" if row["reference"] else "single answer"
                seen[key] = {
                    "kind": kind,
                    "model": key[1],
                    "prompt_id": key[2],
                    "message": f"the judge flagged {kind!r} ({against}, order {row['order'] or '-'})",
                }
    return list(seen.values())


def _canary_flags(rows: list[dict[str, Any]], limit: float) -> list[dict[str, Any]]:
    """A canary must lose; one that wins more than ``limit`` points shows the judge can be gamed."""
    return [
        {
            "kind": "canary",
            "model": row["model"],
            "prompt_id": "",
            "message": f"canary {row['model']} won {row['win_rate']:.1f}% against {row['reference']} "
            f"(limit {limit:g}%): the judge can be gamed",
        }
        for row in rows
        if row["is_canary"] and row["win_rate"] is not None and row["win_rate"] > limit
    ]


def _sort_rows(rows: list[dict[str, Any]], references: list[str]) -> list[dict[str, Any]]:
    rank = {r: k for k, r in enumerate(references)}

    def key(row: dict[str, Any]) -> tuple[int, float, str]:
        rate = row["win_rate"] if row["win_rate"] is not None else row["mean_score"]
        return (rank.get(row["reference"], len(rank)), -(rate if rate is not None else -math.inf), row["model"])

    return sorted(rows, key=key)


def build_leaderboard(
    judgments: pd.DataFrame,
    responses: pd.DataFrame,
    models: Sequence[ModelLike],
    manifest: dict[str, Any],
    options: StatsOptions | None = None,
    judge_credentials: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The leaderboard.json dict (schema_version 1) with every key of docs/CONTRACTS.md.

    judgments, responses: the frames of docs/CONTRACTS.md. models: the suite's models (anything
    with name, is_reference, is_canary, training; ``judgebench.records.ModelInfo`` fits); models
    judged but not listed are reported without metadata. manifest: copied as is (its
    ``references`` order decides which reference is primary: the Bradley–Terry anchor and the
    reference of the curated-versus-large analysis). options: rounds, seed, alpha, style control.
    """
    options = options or StatsOptions()
    info = {m.name: m for m in models}
    references = _references(judgments, models, manifest)
    judged = [r for r in references if (judgments["reference"] == r).any()]
    primary = judged[0] if judged else (references[0] if references else None)
    per_prompt = per_prompt_preferences(judgments)
    counts = status_counts(judgments)
    categories = prompt_categories(judgments) if not judgments.empty else {}

    rows: list[dict[str, Any]] = []
    paired: list[dict[str, Any]] = []
    category_rows: list[dict[str, Any]] = []
    curated: dict[str, Any] | None = None
    for reference in judged:
        matrix = _matrix(judgments, per_prompt, reference, models)
        ref_rows, intervals = _reference_rows(judgments, responses, matrix, info, counts, options)
        rows += ref_rows
        paired += _paired_rows(matrix, info, options)
        reported = [m for m in matrix.models if not (m in info and info[m].is_reference)]
        category_matrix = PreferenceMatrix(reference, matrix.prompt_ids, reported, matrix.x[:, [matrix.models.index(m) for m in reported]])
        category_rows += category_win_rates(category_matrix, categories, options.rounds, options.seed, options.level)
        if reference == primary:
            curated = curated_vs_large(matrix, models, intervals, options.rounds, options.seed, options.alpha, options.power)
    rows += _single_rows(judgments, responses, info, options)

    anchor = primary
    bt = _bradley_terry(per_prompt, responses, anchor, options)
    ratings: list[dict[str, Any]] = []
    if bt is not None:
        for p, name in enumerate(bt.players):
            ratings.append({"model": name, "rating": _finite(bt.ratings[p]), "ci_low": _finite(bt.ci_low[p]), "ci_high": _finite(bt.ci_high[p])})
        ratings.sort(key=lambda r: -(r["rating"] if r["rating"] is not None else -math.inf))
        by_name = {r["model"]: r for r in ratings}
        for row in rows:
            if row["model"] in by_name:
                rating = by_name[row["model"]]
                row |= {"bt_rating": rating["rating"], "bt_ci_low": rating["ci_low"], "bt_ci_high": rating["ci_high"]}

    board = {
        "schema_version": SCHEMA_VERSION,
        "suite": manifest.get("suite", ""),
        "manifest": dict(manifest),
        "references": references,
        "rows": _sort_rows(rows, references),
        "bradley_terry": {
            "anchor_model": anchor,
            "anchor_value": 50.0,
            "style_control": options.style_control,
            "ratings": ratings,
        },
        "paired": paired,
        "curated_vs_large": curated,
        "categories": category_rows,
        "reliability": reliability(judgments).to_dict(),
        "flags": _canary_flags(rows, options.canary_max_win_rate) + _flags(judgments),
        "judge_credentials": list(judge_credentials or []),  # passed through (helper `numbers` renders it)
    }
    return to_json(board)
