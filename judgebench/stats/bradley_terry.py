"""Bradley–Terry ratings of every model (references included) from all pairwise judgments.

Each per-prompt preference of model i over reference j is a game with outcome y ∈ [0, 1] and
weight = its number of usable judgments; ``Σ_judgments loglik`` equals ``n_ok · loglik(mean)`` for
a logistic model, so this is the likelihood of every single judgment. We fit

    logit P(i beats j) = β_i − β_j (+ γ · style difference)

by Newton's method with the anchor's β fixed at 0 and a weak ridge (1e-3, keeps a model that won
every game finite). Ratings are ``100·σ(β_m − β_anchor)``: the anchor (first reference) sits at 50
and a rating reads as the expected win rate against it. Without style features the likelihood only
depends on per-pair totals, so games are first collapsed to pairs.

Intervals: percentile bootstrap over prompts, one joint fit per round, all rounds solved together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from judgebench.stats.bootstrap import percentile_interval, resample_counts
from judgebench.stats.logistic import MAX_ITER, MAX_STEP, converged, sigmoid

DEFAULT_RIDGE = 1e-3


@dataclass(frozen=True)
class Games:
    """Pairwise games: ``players[i[g]]`` met ``players[j[g]]`` on prompt ``prompt[g]``.

    y: share of the game won by i (ties ½); w: weight (judgments behind it); prompt: index in
    0..n_prompts-1, the unit the bootstrap resamples; features: optional (games, k) style
    differences i − j.
    """

    players: list[str]
    i: np.ndarray
    j: np.ndarray
    y: np.ndarray
    w: np.ndarray
    prompt: np.ndarray
    n_prompts: int
    features: np.ndarray | None = None


@dataclass(frozen=True)
class BradleyTerry:
    """Ratings on the win-rate-against-anchor scale (points), with percentile intervals."""

    players: list[str]
    anchor: str
    ratings: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    style_control: bool
    style_coefficients: np.ndarray


def _pair_index(i: np.ndarray, j: np.ndarray, n_players: int) -> tuple[np.ndarray, np.ndarray]:
    """Pair id per game and the (Q, 2) player pairs, a pair being an ordered (i, j)."""
    pairs, q = np.unique(i * n_players + j, return_inverse=True)
    return q, np.column_stack([pairs // n_players, pairs % n_players])


def _pair_design(pairs: np.ndarray, n_players: int, anchor: int) -> np.ndarray:
    """(Q, n_players − 1): +1 for the first player, −1 for the second, anchor column dropped."""
    design = np.zeros((pairs.shape[0], n_players))
    rows = np.arange(pairs.shape[0])
    np.add.at(design, (rows, pairs[:, 0]), 1.0)
    np.add.at(design, (rows, pairs[:, 1]), -1.0)
    return np.delete(design, anchor, axis=1)


def _newton(
    design: np.ndarray,
    q: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    features: np.ndarray | None,
    ridge: float,
) -> np.ndarray:
    """Maximise the weighted BT log-likelihood for each row of ``w`` (rounds × games).

    Games are grouped by pair ``q`` (sorted); per-pair sums give the player block of the Hessian
    without a games × players matrix. Returns (rounds, players − 1 + k): β then γ.
    """
    k = 0 if features is None else features.shape[1]
    rounds, p = w.shape[0], design.shape[1]
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    beta = np.zeros((rounds, p + k))
    ridge_matrix = (ridge + 1e-9) * np.eye(p + k)
    scale = w.sum(axis=1)
    if features is not None:
        products = (features[:, :, None] * features[:, None, :]).reshape(features.shape[0], k * k)
    for _ in range(MAX_ITER):
        eta = (beta[:, :p] @ design.T)[:, q]
        if features is not None:
            eta += beta[:, p:] @ features.T
        prob = sigmoid(eta)
        residual = w * (y - prob)
        curvature = w * prob * (1.0 - prob)
        grad = np.empty((rounds, p + k))
        hessian = np.empty((rounds, p + k, p + k))
        v_pair = np.add.reduceat(curvature, starts, axis=1)
        grad[:, :p] = np.add.reduceat(residual, starts, axis=1) @ design
        hessian[:, :p, :p] = np.matmul((v_pair[:, :, None] * design).transpose(0, 2, 1), design)
        if features is not None:
            grad[:, p:] = residual @ features
            hessian[:, p:, p:] = (curvature @ products).reshape(rounds, k, k)
            for s in range(k):
                cross = np.add.reduceat(curvature * features[:, s], starts, axis=1)
                hessian[:, :p, p + s] = cross @ design
                hessian[:, p + s, :p] = hessian[:, :p, p + s]
        grad -= ridge * beta
        step = np.linalg.solve(hessian + ridge_matrix, grad[:, :, None])[:, :, 0]
        step = np.clip(step, -MAX_STEP, MAX_STEP)
        beta += step
        if converged(step, grad, scale):
            break
    return beta


def connected_to(games: Games, anchor: int) -> np.ndarray:
    """Mask of the players linked to ``anchor`` by a chain of games (others have no rating)."""
    reached = np.zeros(len(games.players), dtype=bool)
    reached[anchor] = True
    while True:
        grow = reached.copy()
        grow[games.j[reached[games.i]]] = True
        grow[games.i[reached[games.j]]] = True
        if np.array_equal(grow, reached):
            return reached
        reached = grow


def _restrict(games: Games, keep: np.ndarray) -> Games:
    """The games among the ``keep`` players only, players renumbered."""
    new_index = np.cumsum(keep) - 1
    inside = keep[games.i] & keep[games.j]
    return Games(
        players=[p for p, k in zip(games.players, keep, strict=True) if k],
        i=new_index[games.i[inside]],
        j=new_index[games.j[inside]],
        y=games.y[inside],
        w=games.w[inside],
        prompt=games.prompt[inside],
        n_prompts=games.n_prompts,
        features=None if games.features is None else games.features[inside],
    )


def fit_bradley_terry(
    games: Games, anchor: str, rounds: int, seed: int, level: float, ridge: float = DEFAULT_RIDGE
) -> BradleyTerry:
    """Fit the ratings on all games and on ``rounds`` bootstrap resamples of the prompts.

    Players with no chain of games to the anchor cannot be placed on its scale: their rating and
    interval are NaN.
    """
    keep = connected_to(games, games.players.index(anchor))
    if not keep.all():
        inner = fit_bradley_terry(_restrict(games, keep), anchor, rounds, seed, level, ridge)
        expand = np.full(len(games.players), np.nan)
        fields = {}
        for name in ("ratings", "ci_low", "ci_high"):
            values = expand.copy()
            values[keep] = getattr(inner, name)
            fields[name] = values
        return BradleyTerry(
            players=list(games.players),
            anchor=anchor,
            style_control=inner.style_control,
            style_coefficients=inner.style_coefficients,
            **fields,
        )
    n_players = len(games.players)
    anchor_index = games.players.index(anchor)
    counts = resample_counts(games.n_prompts, rounds, np.random.default_rng(seed))
    weights = np.vstack([games.w, counts[:, games.prompt] * games.w])
    q, pairs = _pair_index(games.i, games.j, n_players)
    design = _pair_design(pairs, n_players, anchor_index)
    features = games.features
    order = np.argsort(q, kind="stable")
    q, weights, y = q[order], weights[:, order], games.y[order]
    if features is None:
        # Collapse to one game per pair: W = Σ w and y = Σ w·y / W, per round.
        starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
        pair_w = np.add.reduceat(weights, starts, axis=1)
        pair_s = np.add.reduceat(weights * y, starts, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            pair_y = np.where(pair_w > 0, pair_s / np.where(pair_w > 0, pair_w, 1.0), 0.5)
        beta = _newton(design, np.arange(pairs.shape[0]), pair_y, pair_w, None, ridge)
    else:
        beta = _newton(design, q, y, weights, features[order], ridge)
    p = n_players - 1
    full = np.insert(beta[:, :p], anchor_index, 0.0, axis=1)
    ratings = 100.0 * sigmoid(full)
    low, high = percentile_interval(ratings[1:], level)
    return BradleyTerry(
        players=list(games.players),
        anchor=anchor,
        ratings=ratings[0],
        ci_low=low,
        ci_high=high,
        style_control=features is not None,
        style_coefficients=beta[0, p:],
    )
