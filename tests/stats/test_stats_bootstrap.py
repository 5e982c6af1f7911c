"""The vectorised bootstrap against a plain loop over rounds."""

from __future__ import annotations

import numpy as np

from judgebench.stats import bootstrap_means, mean_intervals, percentile_interval, resample_counts


def _index_matrix(n: int, rounds: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(rounds, n))


def test_counts_come_from_one_index_matrix() -> None:
    idx = _index_matrix(7, 50, seed=3)
    counts = resample_counts(7, 50, np.random.default_rng(3))
    for r in range(50):
        assert list(counts[r]) == [int((idx[r] == i).sum()) for i in range(7)]


def test_means_equal_loop_over_resampled_rows_with_missing_values() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((9, 4))
    x[rng.random((9, 4)) < 0.3] = np.nan
    x[:, 3] = np.nan
    x[0, 3] = 0.25  # a column with one present prompt: rounds that miss it are NaN
    idx = _index_matrix(9, 40, seed=5)
    boot = bootstrap_means(x, resample_counts(9, 40, np.random.default_rng(5)))
    for r in range(40):
        sample = x[idx[r]]
        for m in range(4):
            present = sample[~np.isnan(sample[:, m]), m]
            expected = present.mean() if present.size else np.nan
            np.testing.assert_allclose(boot[r, m], expected, rtol=1e-12, equal_nan=True)


def test_percentile_interval_equals_numpy_percentile() -> None:
    boot = np.random.default_rng(2).random((1000, 3))
    boot[:10, 2] = np.nan
    low, high = percentile_interval(boot, 0.95)
    np.testing.assert_allclose(low[:2], np.percentile(boot[:, :2], 2.5, axis=0))
    np.testing.assert_allclose(high[:2], np.percentile(boot[:, :2], 97.5, axis=0))
    np.testing.assert_allclose(low[2], np.percentile(boot[10:, 2], 2.5))


def test_seeded_and_sensible() -> None:
    x = (np.random.default_rng(4).random((300, 2)) < [0.5, 0.8]).astype(float)
    one = mean_intervals(x, 1000, seed=7, level=0.95)
    again = mean_intervals(x, 1000, seed=7, level=0.95)
    other = mean_intervals(x, 1000, seed=8, level=0.95)
    for a, b in zip(one, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(one[1], other[1])
    point, low, high = one
    np.testing.assert_allclose(point, x.mean(axis=0))
    # Half-width ≈ 1.96·sd/√n for a proportion (the issue's ±5.7 points at 50% on 300 prompts).
    expected = 1.96 * np.sqrt(point * (1 - point) / 300)
    np.testing.assert_allclose((high - low) / 2, expected, rtol=0.15)
