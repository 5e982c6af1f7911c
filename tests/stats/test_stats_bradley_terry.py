"""Bradley–Terry against hand values, scipy fits of its log-likelihood, and a loop over rounds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from judgebench.stats import Games, fit_bradley_terry
from judgebench.stats.logistic import sigmoid


def _games(n_prompts: int, seed: int, features: bool = False) -> Games:
    """Four players, every pair meeting on every prompt, true strengths 0, 0.5, 1, −0.5."""
    rng = np.random.default_rng(seed)
    strength = np.array([0.0, 0.5, 1.0, -0.5])
    i, j, prompt = [], [], []
    for p in range(n_prompts):
        for a in range(4):
            for b in range(a + 1, 4):
                i.append(a), j.append(b), prompt.append(p)
    ia, ja = np.array(i), np.array(j)
    style = rng.normal(size=(ia.size, 2)) if features else None
    eta = strength[ia] - strength[ja] + (style @ np.array([0.8, -0.3]) if style is not None else 0)
    u = rng.random(ia.size)
    y = np.where(u < 0.1, 0.5, (u < 0.1 + 0.9 * sigmoid(eta)).astype(float))
    w = rng.integers(1, 3, size=ia.size).astype(float)
    return Games(["ref", "m1", "m2", "m3"], ia, ja, y, w, np.array(prompt), n_prompts, style)


def _scipy_fit(games: Games, weights: np.ndarray) -> np.ndarray:
    """Maximum likelihood with the anchor (player 0) at 0, by BFGS on the plain log-likelihood."""
    k = 0 if games.features is None else games.features.shape[1]

    def nll(params: np.ndarray) -> float:
        beta = np.r_[0.0, params[:3]]
        eta = beta[games.i] - beta[games.j]
        if games.features is not None:
            eta = eta + games.features @ params[3:]
        return float(-(weights * (games.y * -np.logaddexp(0, -eta) + (1 - games.y) * -np.logaddexp(0, eta))).sum())

    return minimize(nll, np.zeros(3 + k), method="BFGS", options={"gtol": 1e-9}).x


def test_two_players_rating_is_the_raw_win_rate() -> None:
    y = np.array([1.0, 1.0, 0.5, 0.0, 1.0, 0.25])
    w = np.array([1.0, 2.0, 1.0, 1.0, 1.0, 2.0])
    games = Games(["ref", "m"], np.ones(6, int), np.zeros(6, int), y, w, np.arange(6), 6)
    result = fit_bradley_terry(games, "ref", rounds=0, seed=0, level=0.95, ridge=0.0)
    assert result.ratings[0] == 50.0
    assert result.ratings[1] == pytest.approx(100 * (w * y).sum() / w.sum(), abs=1e-9)


def test_ratings_equal_an_independent_maximum_likelihood_fit() -> None:
    games = _games(40, seed=1)
    result = fit_bradley_terry(games, "ref", rounds=0, seed=0, level=0.95, ridge=0.0)
    expected = 100 * sigmoid(np.r_[0.0, _scipy_fit(games, games.w)])
    np.testing.assert_allclose(result.ratings, expected, atol=1e-4)


def test_style_control_equals_an_independent_fit() -> None:
    games = _games(60, seed=2, features=True)
    result = fit_bradley_terry(games, "ref", rounds=0, seed=0, level=0.95, ridge=0.0)
    params = _scipy_fit(games, games.w)
    np.testing.assert_allclose(result.ratings, 100 * sigmoid(np.r_[0.0, params[:3]]), atol=1e-4)
    np.testing.assert_allclose(result.style_coefficients, params[3:], atol=1e-5)
    assert result.style_control


def test_collapsed_pairs_equal_game_level_fit() -> None:
    games = _games(30, seed=3)
    zero = Games(games.players, games.i, games.j, games.y, games.w, games.prompt, games.n_prompts, np.zeros((games.i.size, 1)))
    collapsed = fit_bradley_terry(games, "m1", rounds=20, seed=5, level=0.95)
    game_level = fit_bradley_terry(zero, "m1", rounds=20, seed=5, level=0.95)
    np.testing.assert_allclose(collapsed.ratings, game_level.ratings, atol=1e-8)
    np.testing.assert_allclose(collapsed.ci_low, game_level.ci_low, atol=1e-8)
    assert collapsed.ratings[1] == 50.0 and collapsed.ci_low[1] == collapsed.ci_high[1] == 50.0


def test_bootstrap_equals_a_loop_of_weighted_fits() -> None:
    games = _games(25, seed=4)
    result = fit_bradley_terry(games, "ref", rounds=15, seed=6, level=0.9, ridge=0.0)
    idx = np.random.default_rng(6).integers(0, 25, size=(15, 25))
    boot = []
    for row in idx:
        counts = np.bincount(row, minlength=25)
        boot.append(100 * sigmoid(np.r_[0.0, _scipy_fit(games, games.w * counts[games.prompt])]))
    np.testing.assert_allclose(result.ci_low, np.percentile(boot, 5, axis=0), atol=1e-4)
    np.testing.assert_allclose(result.ci_high, np.percentile(boot, 95, axis=0), atol=1e-4)


def test_a_player_that_won_everything_stays_finite() -> None:
    games = Games(["ref", "m"], np.ones(5, int), np.zeros(5, int), np.ones(5), np.ones(5), np.arange(5), 5)
    result = fit_bradley_terry(games, "ref", rounds=10, seed=0, level=0.95)
    assert 99 < result.ratings[1] < 100 and np.isfinite(result.ci_low).all()


def test_players_without_a_chain_to_the_anchor_get_no_rating() -> None:
    # ref–m1 meet; m2–m3 only meet each other.
    i, j = np.array([1, 1, 3, 3]), np.array([0, 0, 2, 2])
    games = Games(["ref", "m1", "m2", "m3"], i, j, np.array([1.0, 0.0, 1.0, 1.0]), np.ones(4), np.arange(4), 4)
    result = fit_bradley_terry(games, "ref", rounds=5, seed=0, level=0.95, ridge=0.0)
    assert result.ratings[1] == pytest.approx(50.0) and result.ratings[0] == 50.0
    assert np.isnan(result.ratings[2:]).all() and np.isnan(result.ci_low[2:]).all()
