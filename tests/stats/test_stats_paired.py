"""Paired comparisons: sign test against scipy, bootstrap against a loop, verdicts, power formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, norm

from judgebench.stats import compare_columns, compare_vectors, min_detectable_difference, sign_test


@pytest.mark.parametrize("n", [1, 2, 5, 10, 31, 200])
def test_sign_test_equals_scipy(n: int) -> None:
    for k in range(n + 1):
        assert sign_test(k, n - k) == pytest.approx(binomtest(k, n, 0.5).pvalue, rel=1e-10)
    assert sign_test(0, 0) == 1.0


def test_diff_interval_and_test_by_independent_computation() -> None:
    rng = np.random.default_rng(0)
    xa = (rng.random(120) < 0.7).astype(float)
    xb = (rng.random(120) < 0.5).astype(float)
    xa[3], xb[7] = np.nan, np.nan  # the comparison uses the 118 common prompts
    result = compare_vectors(xa, xb, "a", "b", "ref", rounds=500, seed=11, alpha=0.05)
    keep = ~np.isnan(xa) & ~np.isnan(xb)
    d = xa[keep] - xb[keep]
    assert result.n == 118
    assert result.diff == pytest.approx(100 * d.mean())
    idx = np.random.default_rng(11).integers(0, 118, size=(500, 118))
    boot = np.array([100 * d[row].mean() for row in idx])
    assert result.ci_low == pytest.approx(np.percentile(boot, 2.5))
    assert result.ci_high == pytest.approx(np.percentile(boot, 97.5))
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    assert result.p_value == pytest.approx(binomtest(wins, wins + losses).pvalue)
    assert result.to_dict()["a"] == "a" and set(result.to_dict()) == {
        "a", "b", "reference", "n", "diff", "ci_low", "ci_high", "p_value", "verdict", "significant"
    }


def test_verdicts() -> None:
    rng = np.random.default_rng(1)
    strong = (rng.random(400) < 0.8).astype(float)
    weak = (rng.random(400) < 0.4).astype(float)
    better = compare_vectors(strong, weak, "a", "b", "r", 300, 0, 0.05)
    worse = compare_vectors(weak, strong, "a", "b", "r", 300, 0, 0.05)
    same = compare_vectors(strong, strong.copy(), "a", "b", "r", 300, 0, 0.05)
    assert (better.verdict, better.significant) == ("A better", True)
    assert (worse.verdict, worse.significant) == ("B better", True)
    assert (same.verdict, same.significant, same.p_value, same.diff) == ("no significant difference", False, 1.0, 0.0)
    empty = compare_vectors(np.array([np.nan]), np.array([1.0]), "a", "b", "r", 10, 0, 0.05)
    assert empty.n == 0 and empty.diff is None and not empty.significant


def test_many_pairs_equal_single_comparisons() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((60, 4))
    x[5, 2] = np.nan  # pairs with column 2 are resampled on their own intersection
    pairs = [(0, 1), (0, 2), (3, 2), (1, 3)]
    names = ["m0", "m1", "m2", "m3"]
    many = compare_columns(x, pairs, names, "r", 200, 9, 0.05)
    for (a, b), result in zip(pairs, many, strict=True):
        single = compare_vectors(x[:, a], x[:, b], names[a], names[b], "r", 200, 9, 0.05).to_dict()
        # Equal up to rounding: matrix products of different widths sum in different orders.
        assert result.to_dict() == {k: pytest.approx(v, rel=1e-12) if isinstance(v, float) else v for k, v in single.items()}


def test_min_detectable_difference_formula() -> None:
    assert min_detectable_difference(300) == pytest.approx(11.43, abs=0.01)
    expected = 100 * (norm.ppf(0.995) + norm.ppf(0.9)) * 0.4 / math.sqrt(805)
    assert min_detectable_difference(805, alpha=0.01, power=0.9, sd=0.4) == pytest.approx(expected)
    assert min_detectable_difference(0) == math.inf


def test_min_detectable_difference_has_its_power() -> None:
    """Simulated paired z-tests at a true difference of the MDD reject about 80% of the time."""
    n, sd = 400, 0.6
    mdd = min_detectable_difference(n, sd=sd) / 100
    d = np.random.default_rng(3).normal(mdd, sd, size=(4000, n))
    z = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    assert np.mean(np.abs(z) > norm.ppf(0.975)) == pytest.approx(0.8, abs=0.03)
