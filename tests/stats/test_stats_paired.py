"""The one significance rule: bootstrap interval and p-value from the same resamples, Holm, MDD."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from judgebench.stats import (
    compare_columns,
    compare_vectors,
    decide,
    min_detectable_difference,
    resample_pairs,
)


def _holm(p: list[float]) -> list[float]:
    """Holm-adjusted p-values, written out independently of the module."""
    m = len(p)
    order = sorted(range(m), key=lambda k: p[k])
    out = [0.0] * m
    running = 0.0
    for j, k in enumerate(order):
        running = max(running, min(1.0, (m - j) * p[k]))
        out[k] = running
    return out


def test_diff_interval_and_p_value_by_independent_computation() -> None:
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
    boot = np.sort([100 * d[row].mean() for row in idx])
    k = math.ceil(0.05 * 500 / 2) - 1  # 12: the 13th smallest and the 13th largest of 500
    assert (result.ci_low, result.ci_high) == (pytest.approx(boot[k]), pytest.approx(boot[500 - 1 - k]))
    expected_p = min(1.0, 2 * min((boot <= 1e-9).sum(), (boot >= -1e-9).sum()) / 500)
    assert result.p_value == pytest.approx(expected_p)
    assert result.p_adjusted == result.p_value and result.comparisons == 1 and result.ci_level == pytest.approx(0.95)
    assert result.min_detectable_difference == pytest.approx(min_detectable_difference(118))


@pytest.mark.parametrize("seed", range(6))
def test_significant_iff_interval_excludes_zero_iff_adjusted_p_below_alpha(seed: int) -> None:
    """No "p = 0.041, not significant" beside an interval spanning zero, for any family size."""
    rng = np.random.default_rng(seed)
    n_models = int(rng.integers(2, 7))
    strength = rng.uniform(0.35, 0.75, n_models)
    x = (rng.random((80, n_models)) < strength).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    pairs = [(a, b) for a in range(n_models) for b in range(a + 1, n_models)]
    results = compare_columns(x, pairs, [f"m{k}" for k in range(n_models)], "r", 400, seed, 0.05)
    assert [r.p_adjusted for r in results] == pytest.approx(_holm([r.p_value or 0.0 for r in results]))
    for r in results:
        assert r.ci_low is not None and r.ci_high is not None and r.p_adjusted is not None
        excludes = r.ci_low > 0 or r.ci_high < 0
        assert r.significant == excludes == (r.p_adjusted < 0.05), r
        assert r.verdict == ("A better" if r.ci_low > 0 else "B better" if r.ci_high < 0 else "no significant difference")
        assert r.comparisons == len(pairs) and 0.95 <= r.ci_level <= 1.0


def test_holm_makes_a_family_stricter_than_one_comparison() -> None:
    """A pair significant alone can lose significance among many pairs, never the other way."""
    rng = np.random.default_rng(4)
    x = (rng.random((150, 8)) < np.linspace(0.4, 0.62, 8)).astype(float)
    pairs = [(a, b) for a in range(8) for b in range(a + 1, 8)]
    names = [f"m{k}" for k in range(8)]
    family = compare_columns(x, pairs, names, "r", 500, 1, 0.05)
    alone = [compare_vectors(x[:, a], x[:, b], names[a], names[b], "r", 500, 1, 0.05) for a, b in pairs]
    assert sum(c.significant for c in family) < sum(c.significant for c in alone)
    for f, s in zip(family, alone, strict=True):
        assert (f.n, f.diff, f.p_value) == (s.n, s.diff, s.p_value)  # the same resamples
        assert not f.significant or s.significant
        assert f.ci_low is not None and s.ci_low is not None and f.ci_high is not None and s.ci_high is not None
        assert f.ci_low <= s.ci_low and f.ci_high >= s.ci_high  # wider at the stricter level


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
    assert (same.ci_low, same.ci_high) == (0.0, 0.0)
    empty = compare_vectors(np.array([np.nan]), np.array([1.0]), "a", "b", "r", 10, 0, 0.05)
    assert empty.n == 0 and empty.diff is None and not empty.significant and empty.p_value is None
    inconclusive = better.inconclusive()
    assert (inconclusive.verdict, inconclusive.significant, inconclusive.diff) == ("inconclusive", False, better.diff)
    flipped = better.swapped()
    assert (flipped.a, flipped.verdict, flipped.diff, flipped.ci_low) == ("b", "B better", -better.diff, -better.ci_high)


def test_a_pair_does_not_depend_on_the_other_pairs_resampled() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((60, 4))
    x[5, 2] = np.nan  # pairs with column 2 are resampled on their own intersection
    pairs = [(0, 1), (0, 2), (3, 2), (1, 3)]
    names = ["m0", "m1", "m2", "m3"]
    many = resample_pairs(x, pairs, names, "r", 200, 9)
    for (a, b), result in zip(pairs, many, strict=True):
        single = resample_pairs(x, [(a, b)], names, "r", 200, 9)[0]
        # Equal up to rounding: matrix products of different widths sum in different orders.
        np.testing.assert_allclose(result.boot, single.boot, rtol=1e-12)
        assert result.p_value == single.p_value and result.n == single.n
    assert decide([], 0.05) == []


def test_min_detectable_difference_formula_and_bound() -> None:
    assert min_detectable_difference(300) == pytest.approx(11.43, abs=0.01)
    expected = 100 * (norm.ppf(0.995) + norm.ppf(0.9)) * math.sqrt(0.5) / math.sqrt(805)
    assert min_detectable_difference(805, alpha=0.01, power=0.9) == pytest.approx(expected)
    # Few prompts: the formula would say 114 points; no win-rate difference exceeds the scale.
    assert 100 * (norm.ppf(0.975) + norm.ppf(0.8)) * math.sqrt(0.5) / math.sqrt(3) > 100
    assert min_detectable_difference(3) == 100.0 and min_detectable_difference(0) == 100.0


def test_min_detectable_difference_has_its_power() -> None:
    """Simulated paired z-tests at a true difference of the MDD (sd √½) reject about 80% of the time."""
    n, sd = 400, math.sqrt(0.5)
    mdd = min_detectable_difference(n) / 100
    d = np.random.default_rng(3).normal(mdd, sd, size=(4000, n))
    z = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    assert np.mean(np.abs(z) > norm.ppf(0.975)) == pytest.approx(0.8, abs=0.03)
