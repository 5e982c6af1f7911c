"""Length-controlled win rate: its logistic fit against scipy, and its two defining behaviours."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from judgebench.stats import instruction_difficulty, length_controlled
from judgebench.stats.logistic import fit_logistic, sigmoid


def _nll(beta: np.ndarray, design: np.ndarray, y: np.ndarray, w: np.ndarray, penalty: np.ndarray) -> float:
    eta = design @ beta
    loglik = w * (y * -np.logaddexp(0, -eta) + (1 - y) * -np.logaddexp(0, eta))
    return float(-loglik.sum() + 0.5 * (penalty * beta**2).sum())


def test_fit_logistic_equals_scipy_with_fractional_targets_and_weights() -> None:
    rng = np.random.default_rng(0)
    design = np.column_stack([np.ones(200), rng.normal(size=200), rng.normal(size=200)])
    y = rng.random(200)  # fractional preferences
    weights = rng.integers(0, 3, size=(2, 200)).astype(float)
    penalty = np.array([0.0, 0.1, 0.1])
    ours = fit_logistic(design, y, weights, penalty)
    for r in range(2):
        ref = minimize(_nll, np.zeros(3), args=(design, y, weights[r], penalty), method="BFGS", options={"gtol": 1e-10})
        np.testing.assert_allclose(ours[r], ref.x, atol=1e-5)


def test_difficulty_is_leave_one_model_out_smoothed_logit() -> None:
    x = np.array([[1.0, 1.0, 0.0], [0.5, np.nan, 0.0]])
    gamma = instruction_difficulty(x)
    # Model 0 on prompt 0: others won 1 of 2 → (1 + 1)/(2 + 2) = ½ → 0.
    assert gamma[0, 0] == pytest.approx(0.0)
    # Model 2 on prompt 0: others won 2 of 2 → 3/4 → −logit(3/4).
    assert gamma[0, 2] == pytest.approx(-np.log(3))
    # Model 0 on prompt 1: one other (model 2) lost → 1/3 → −logit(1/3) = log 2.
    assert gamma[1, 0] == pytest.approx(np.log(2))


def _suite(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three neutral models plus one (last) that wins because, and only because, it is longer."""
    rng = np.random.default_rng(seed)
    delta = rng.normal(0, 200, size=(n, 4))
    x = (rng.random((n, 4)) < [0.3, 0.5, 0.7, 0.0]).astype(float)
    delta[:, 3] = rng.normal(300, 200, size=n)
    x[:, 3] = (rng.random(n) < sigmoid(3 * np.tanh(delta[:, 3] / delta[:, 3].std(ddof=1)))).astype(float)
    return x, delta


def test_equal_lengths_give_the_raw_win_rate() -> None:
    x, _ = _suite(300, seed=1)
    x[:5, 0] = np.nan
    result = length_controlled(x, np.zeros_like(x), rounds=0, seed=0, level=0.95)
    np.testing.assert_allclose(result.lc_win_rate, 100 * np.nanmean(x, axis=0), atol=1e-6)


def test_winning_only_by_length_is_pulled_to_fifty() -> None:
    x, delta = _suite(400, seed=2)
    result = length_controlled(x, delta, rounds=50, seed=0, level=0.95)
    raw = 100 * x.mean(axis=0)
    assert raw[3] > 75
    assert abs(result.lc_win_rate[3] - 50) < 8
    assert result.length_coefficient[3] > 1.5
    # Models whose wins have nothing to do with length keep their raw rate.
    np.testing.assert_allclose(result.lc_win_rate[:3], raw[:3], atol=3)
    assert np.all(result.ci_low <= result.lc_win_rate) and np.all(result.lc_win_rate <= result.ci_high)


def test_lc_point_and_interval_by_independent_fits() -> None:
    x, delta = _suite(120, seed=3)
    result = length_controlled(x, delta, rounds=30, seed=4, level=0.9)
    gamma = instruction_difficulty(x)
    counts = np.random.default_rng(4).integers(0, 120, size=(30, 120))
    m = 3
    feature = np.tanh(delta[:, m] / delta[:, m].std(ddof=1))
    design = np.column_stack([np.ones(120), feature, gamma[:, m]])
    penalty = np.array([0.0, 0.1, 0.1])

    def lc(idx: np.ndarray) -> float:
        ref = minimize(_nll, np.zeros(3), args=(design[idx], x[idx, m], np.ones(idx.size), penalty), method="BFGS")
        return 100 * float(sigmoid(ref.x[0] + ref.x[2] * gamma[idx, m]).mean())

    assert result.lc_win_rate[m] == pytest.approx(lc(np.arange(120)), abs=1e-3)
    boot = [lc(row) for row in counts]
    assert result.ci_low[m] == pytest.approx(np.percentile(boot, 5), abs=1e-3)
    assert result.ci_high[m] == pytest.approx(np.percentile(boot, 95), abs=1e-3)
