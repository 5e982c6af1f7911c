"""Judgments + responses → leaderboard.json (schema_version 1, docs/CONTRACTS.md).

This module only assembles: every statistic lives in :mod:`judgebench.stats`. Entry points:

* :func:`build_leaderboard` — the whole leaderboard dict, JSON-serialisable (no numpy scalars,
  NaN and ±inf become None).
* :func:`paired_comparison` — one model against another on the same reference (a family of one
  comparison, so no multiplicity correction); used by ``judgebench compare`` and by the CI gate.
* :func:`judge_adequacy_of` — the judge-adequacy rule (judgebench.stats.adequacy) on a frame.

Additions to the contract (keys added, none removed) are listed in docs/CONTRACTS.md: per-row
``rank``, ``n_generation_errors`` and mean-score intervals; per-pair ``p_adjusted``, ``ci_level``,
``comparisons`` and ``min_detectable_difference``; top-level ``significance``,
``judge_credentials``, ``judge_adequacy`` and ``completeness``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from judgebench.errors import ConfigError
from judgebench.stats.adequacy import JudgeAdequacy, JudgeCredential, judge_adequacy
from judgebench.stats.bradley_terry import BradleyTerry, fit_bradley_terry
from judgebench.stats.categories import category_win_rates
from judgebench.stats.coverage import completeness, judgment_counts
from judgebench.stats.curated import curated_pairs, curated_vs_large
from judgebench.stats.flags import canary_flags, response_flags
from judgebench.stats.games import games_from_preferences
from judgebench.stats.options import StatsOptions
from judgebench.stats.paired import (
    A_BETTER,
    B_BETTER,
    MDD_METHOD,
    PairedComparison,
    Resampled,
    decide,
    method_text,
    resample_pairs,
)
from judgebench.stats.preferences import (
    PreferenceMatrix,
    per_prompt_preferences,
    preference_matrix,
    prompt_categories,
)
from judgebench.stats.protocols import ModelLike
from judgebench.stats.reliability import debiased, reliability
from judgebench.stats.rows import finite, reference_rows, single_rows

__all__ = ["StatsOptions", "build_leaderboard", "judge_adequacy_of", "paired_comparison"]

SCHEMA_VERSION = 1


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


def parse_credentials(raw: Sequence[dict[str, Any]] | None) -> list[JudgeCredential]:
    """Validated judge credentials (docs/CONTRACTS.md); ConfigError on a malformed one."""
    try:
        return [JudgeCredential.from_dict(c) for c in raw or []]
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"Invalid judge credentials: {exc}.",
                          "Pass the per-validation-set dicts that `judgebench validate-judge` reports.") from exc


def judge_adequacy_of(
    judgments: pd.DataFrame,
    judge_credentials: Sequence[dict[str, Any]] | None = None,
    options: StatsOptions | None = None,
) -> JudgeAdequacy:
    """The judge-adequacy rule applied to a judgments frame's reliability and the credentials."""
    options = options or StatsOptions()
    rel = reliability(judgments)
    return judge_adequacy(parse_credentials(judge_credentials), rel.position_consistency,
                          rel.parse_failure_rate, options.max_parse_failure_rate, debiased(judgments))


def paired_comparison(
    judgments: pd.DataFrame,
    a: str,
    b: str,
    reference: str | None = None,
    *,
    rounds: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> PairedComparison:
    """Compare model ``a`` with model ``b`` against the same reference on their common prompts.

    ``judgments`` is the judgments frame (docs/CONTRACTS.md). ``reference`` defaults to the first
    reference both models were judged against. The one significance rule of
    :mod:`judgebench.stats.paired` on a family of one comparison (no correction): n, diff = win
    rate a − b in points, its paired-bootstrap interval at level 1 − alpha, the bootstrap p-value
    from the same resamples, the verdict and the minimum detectable difference for n. Its raw
    numbers (n, diff, p_value) equal the matching ``paired`` row of leaderboard.json built with the
    same seed and rounds; the page's interval and verdict are Holm-corrected across its pairs.

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
    return decide(resample_pairs(matrix.x, pair, matrix.models, reference, rounds, seed), alpha, power)[0]


def _bradley_terry(
    per_prompt: pd.DataFrame, responses: pd.DataFrame, anchor: str | None, options: StatsOptions
) -> BradleyTerry | None:
    games = games_from_preferences(per_prompt, responses, options.style_control)
    if games is None or anchor is None or anchor not in games.players:
        return None
    return fit_bradley_terry(games, anchor, options.bt_rounds, options.seed, options.level)


def _contender_pairs(matrix: PreferenceMatrix, info: dict[str, ModelLike]) -> list[tuple[int, int]]:
    """Every pair of contenders (not references, not canaries), the higher raw win rate as ``a``."""
    candidates = [
        j for j, m in enumerate(matrix.models) if not (m in info and (info[m].is_reference or info[m].is_canary))
    ]
    present = ~np.isnan(matrix.x[:, candidates])
    sums = np.where(present, matrix.x[:, candidates], 0.0).sum(axis=0)
    sizes = present.sum(axis=0)
    means = np.divide(sums, sizes, out=np.full(len(candidates), -1.0), where=sizes > 0)
    ranked = [candidates[k] for k in np.argsort(-means, kind="stable")]
    return [(a, b) for n, a in enumerate(ranked) for b in ranked[n + 1 :]]


def _ranks(rows: list[dict[str, Any]], paired: list[PairedComparison], too_weak: bool) -> None:
    """rank = 1 + the contenders significantly better (per reference); None when it cannot rank."""
    better: dict[tuple[str, str], int] = {}
    for c in paired:
        loser = c.b if c.verdict == A_BETTER else c.a if c.verdict == B_BETTER else None
        if loser is not None:
            better[(loser, c.reference)] = better.get((loser, c.reference), 0) + 1
    for row in rows:
        ranked = row["reference"] and not row["is_canary"] and row["win_rate"] is not None and not too_weak
        row["rank"] = 1 + better.get((row["model"], row["reference"]), 0) if ranked else None


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
    judge_credentials: the judge measured on validation sets (``validate-judge``), shown beside the
    leaderboard and fed to the judge-adequacy rule.

    BLAS runs single-threaded here: the statistics are many small matrix products, for which
    threads only contend (on 2 cores a 50-model board took 11 s multi-threaded, 4.9 s on one).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _build(judgments, responses, models, manifest, options or StatsOptions(),
                      parse_credentials(judge_credentials))


def _build(
    judgments: pd.DataFrame,
    responses: pd.DataFrame,
    models: Sequence[ModelLike],
    manifest: dict[str, Any],
    options: StatsOptions,
    credentials: list[JudgeCredential],
) -> dict[str, Any]:
    info = {m.name: m for m in models}
    references = _references(judgments, models, manifest)
    judged = [r for r in references if (judgments["reference"] == r).any()]
    primary = judged[0] if judged else (references[0] if references else None)
    per_prompt = per_prompt_preferences(judgments)
    counts = judgment_counts(judgments, responses)
    categories = prompt_categories(judgments) if not judgments.empty else {}

    rows: list[dict[str, Any]] = []
    family: list[Resampled] = []
    contenders: set[tuple[str, str, str]] = set()
    category_rows: list[dict[str, Any]] = []
    wanted_curated: list[tuple[str, str]] = []
    primary_view: tuple[PreferenceMatrix, dict[str, Any]] | None = None
    for reference in judged:
        matrix = _matrix(judgments, per_prompt, reference, models)
        ref_rows, intervals = reference_rows(judgments, responses, matrix, info, counts, options)
        rows += ref_rows
        pairs = _contender_pairs(matrix, info)
        contenders |= {(matrix.models[a], matrix.models[b], reference) for a, b in pairs}
        if reference == primary:
            primary_view = (matrix, intervals)
            wanted_curated = curated_pairs(matrix, models)
            have = {frozenset((matrix.models[a], matrix.models[b])) for a, b in pairs}
            pairs += [(matrix.models.index(a), matrix.models.index(b)) for a, b in wanted_curated
                      if frozenset((a, b)) not in have]
        family += resample_pairs(matrix.x, pairs, matrix.models, reference, options.rounds, options.seed)
        reported = [m for m in matrix.models if not (m in info and info[m].is_reference)]
        category_matrix = PreferenceMatrix(reference, matrix.prompt_ids, reported, matrix.x[:, [matrix.models.index(m) for m in reported]])
        category_rows += category_win_rates(category_matrix, categories, options.rounds, options.seed, options.level)
    rows += single_rows(judgments, responses, info, counts, options)

    rel = reliability(judgments)
    adequacy = judge_adequacy(credentials, rel.position_consistency, rel.parse_failure_rate,
                              options.max_parse_failure_rate, debiased(judgments))
    decided = decide(family, options.alpha, options.power)
    if adequacy.too_weak:
        decided = [c.inconclusive() for c in decided]
    by_pair = {(c.a, c.b, c.reference): c for c in decided}
    paired = [c for c in decided if c.n > 0 and (c.a, c.b, c.reference) in contenders]
    _ranks(rows, paired, adequacy.too_weak)

    curated = None
    if primary_view is not None:
        matrix, intervals = primary_view
        chosen = [by_pair[(a, b, matrix.reference)] if (a, b, matrix.reference) in by_pair
                  else by_pair[(b, a, matrix.reference)].swapped() for a, b in wanted_curated]
        curated = curated_vs_large(matrix, models, intervals, chosen, options.alpha, options.power)

    bt = _bradley_terry(per_prompt, responses, primary, options)
    ratings: list[dict[str, Any]] = []
    if bt is not None:
        for p, name in enumerate(bt.players):
            ratings.append({"model": name, "rating": finite(bt.ratings[p]), "ci_low": finite(bt.ci_low[p]), "ci_high": finite(bt.ci_high[p])})
        ratings.sort(key=lambda r: -(r["rating"] if r["rating"] is not None else -math.inf))
        by_name = {r["model"]: r for r in ratings}
        for row in rows:
            if row["model"] in by_name:
                rating = by_name[row["model"]]
                row |= {"bt_rating": rating["rating"], "bt_ci_low": rating["ci_low"], "bt_ci_high": rating["ci_high"]}

    m = sum(1 for c in decided if c.n > 0)
    board = {
        "schema_version": SCHEMA_VERSION,
        "suite": manifest.get("suite", ""),
        "manifest": dict(manifest),
        "references": references,
        "rows": _sort_rows(rows, references),
        "bradley_terry": {
            "anchor_model": primary,
            "anchor_value": 50.0,
            "style_control": options.style_control,
            "ratings": ratings,
        },
        "paired": [c.to_dict() for c in paired],
        "significance": {
            "method": method_text(options.rounds, options.alpha, m),
            "alpha": options.alpha,
            "rounds": options.rounds,
            "correction": "holm",
            "comparisons": m,
            "power": options.power,
            "min_detectable_difference_method": MDD_METHOD.format(alpha=options.alpha, power=options.power),
        },
        "curated_vs_large": curated,
        "categories": category_rows,
        "reliability": rel.to_dict(),
        "judge_credentials": [c.to_dict() for c in credentials],
        "judge_adequacy": adequacy.to_dict(),
        "completeness": completeness(judgments, responses),
        "flags": canary_flags(rows, judgments, models, references, options.canary_max_win_rate) + response_flags(judgments),
    }
    return to_json(board)
