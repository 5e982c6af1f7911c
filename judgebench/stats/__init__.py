"""Leaderboard statistics: pure functions on pandas/numpy, no I/O.

Every interval is a seeded percentile bootstrap over prompts; every rate is reproducible from the
judgments frame described in docs/CONTRACTS.md. ``judgebench.aggregate`` assembles these into
leaderboard.json.
"""

from judgebench.stats.adequacy import JudgeAdequacy, JudgeCredential, judge_adequacy
from judgebench.stats.bootstrap import bootstrap_means, mean_intervals, percentile_interval, resample_counts
from judgebench.stats.bradley_terry import BradleyTerry, Games, fit_bradley_terry
from judgebench.stats.categories import category_win_rates
from judgebench.stats.coverage import completeness, judgment_counts
from judgebench.stats.curated import curated_vs_large
from judgebench.stats.games import games_from_preferences
from judgebench.stats.length_control import LengthControlled, instruction_difficulty, length_controlled
from judgebench.stats.options import StatsOptions
from judgebench.stats.paired import (
    PairedComparison,
    compare_columns,
    compare_vectors,
    decide,
    min_detectable_difference,
    resample_pairs,
)
from judgebench.stats.preferences import (
    PreferenceMatrix,
    per_prompt_preferences,
    preference_matrix,
    prompt_categories,
    status_counts,
)
from judgebench.stats.protocols import ModelLike, TrainingLike
from judgebench.stats.reliability import Reliability, reliability
from judgebench.stats.single import mean_scores
from judgebench.stats.style import markdown_density, style_features
from judgebench.stats.winrate import WinRate, average_length, discretise, win_rate_summary

__all__ = [
    "BradleyTerry",
    "Games",
    "JudgeAdequacy",
    "JudgeCredential",
    "LengthControlled",
    "ModelLike",
    "PairedComparison",
    "PreferenceMatrix",
    "Reliability",
    "StatsOptions",
    "TrainingLike",
    "WinRate",
    "average_length",
    "bootstrap_means",
    "category_win_rates",
    "compare_columns",
    "compare_vectors",
    "completeness",
    "curated_vs_large",
    "decide",
    "discretise",
    "fit_bradley_terry",
    "games_from_preferences",
    "instruction_difficulty",
    "judge_adequacy",
    "judgment_counts",
    "length_controlled",
    "markdown_density",
    "mean_intervals",
    "mean_scores",
    "min_detectable_difference",
    "per_prompt_preferences",
    "percentile_interval",
    "preference_matrix",
    "prompt_categories",
    "reliability",
    "resample_counts",
    "resample_pairs",
    "status_counts",
    "style_features",
    "win_rate_summary",
]
