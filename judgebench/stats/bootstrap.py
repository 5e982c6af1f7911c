"""Vectorised percentile bootstrap over prompts.

One index matrix ``idx`` (rounds × n_prompts, drawn with replacement) defines every interval of a
leaderboard, so all models are resampled on the same prompts and stay paired. The resampled mean
of column m in round r, ``mean(X[idx[r], m])``, equals ``(C @ X)[r, m] / n`` where ``C[r, i]``
counts how often prompt i was drawn in round r; we use the count form because it is one matrix
product instead of a rounds × prompts × models array.

Missing values (a model without a usable judgment on a prompt) are NaN. Each round then averages
each model over its *present* resampled prompts — ``(C @ X₀) / (C @ present)`` — which is the
bootstrap of the ratio estimator that the point estimate (a mean over present prompts) is. A round
in which a model has no present prompt is NaN and is left out of its percentiles.
"""

from __future__ import annotations

import warnings

import numpy as np


def resample_counts(n: int, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """Counts ``C`` (rounds × n) of each prompt in each bootstrap round, from one index matrix."""
    if n == 0 or rounds == 0:
        return np.zeros((rounds, n))
    idx = rng.integers(0, n, size=(rounds, n))
    flat = (idx + (np.arange(rounds) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=rounds * n).reshape(rounds, n).astype(float)


def bootstrap_means(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Resampled means (rounds × columns) of a prompts × columns matrix with NaN for missing."""
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    if present.all():
        return (counts @ values) / counts.sum(axis=1, keepdims=True)
    sums = counts @ np.where(present, values, 0.0)
    sizes = counts @ present.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sizes > 0, sums / np.where(sizes > 0, sizes, 1.0), np.nan)


def percentile_interval(boot: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column of ``boot`` (rounds × columns); NaN where no round is finite."""
    tail = 100.0 * (1.0 - level) / 2.0
    if boot.shape[0] == 0:
        nan = np.full(boot.shape[1:], np.nan)
        return nan, nan.copy()
    if not np.isnan(boot).any():
        low, high = np.percentile(boot, [tail, 100.0 - tail], axis=0)
        return low, high
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(boot, [tail, 100.0 - tail], axis=0)
    return low, high


def mean_intervals(
    values: np.ndarray, rounds: int, seed: int, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column means of a prompts × columns matrix (NaN ignored) with their percentile intervals."""
    counts = resample_counts(values.shape[0], rounds, np.random.default_rng(seed))
    boot = bootstrap_means(values, counts)
    low, high = percentile_interval(boot, level)
    point = bootstrap_means(values, np.ones((1, values.shape[0])))[0]
    return point, low, high
