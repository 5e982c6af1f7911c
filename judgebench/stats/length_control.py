"""Length-controlled win rate after Dubois et al. 2024 (AlpacaEval 2), with difficulty from the suite.

For each model m and prompt i, with x its preference over the reference, we fit

    logit P(m beats ref on i) = θ_m + φ_m · tanh(Δ_mi / s_m) + ψ_m · γ_mi

where Δ_mi is the length difference (model − reference, characters), s_m the standard deviation of
Δ_m over prompts (ddof=1) and γ_mi the difficulty of prompt i. The LC win rate is the mean over
prompts of the predicted preference with the length term removed, ``100·mean σ(θ_m + ψ_m γ_mi)``.

**Difficulty, and how it differs from AlpacaEval.** AlpacaEval 2 downloads per-instruction
difficulties fitted once on its own leaderboard (a GLM over many models, fixed for its 805
instructions). A judgebench suite has its own prompts, so γ is estimated from the suite itself: for
model m, γ_mi = −logit((S_i + 1)/(K_i + 2)) where S_i sums the preferences of the *other* models on
prompt i and K_i counts them (canaries excluded: null models built to lose would make every prompt
look harder) — a Laplace-smoothed mean logit, leaving the model out so its own
outcome cannot leak into its control variable. With one model there is no other model to learn
from; γ is then 0 and the fit reduces to intercept + length. Differences from AlpacaEval therefore
grow with fewer models in the suite; with many models both approaches estimate the same quantity.

Fitting: ridge 0.1 on φ and ψ only (keeps them finite when a model wins exactly when it is longer;
negligible against hundreds of prompts), θ free, so with equal lengths LC equals the raw rate.

**Interval.** A percentile bootstrap over prompts refitting θ, φ, ψ in every round with resample
counts as weights; γ and s are held at their full-sample values (a conditional bootstrap: refitting
the difficulty per round would need every other model's refit and moves the interval very little).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from judgebench.stats.bootstrap import percentile_interval, resample_counts
from judgebench.stats.logistic import fit_logistic, logit, sigmoid

PENALTY = np.array([0.0, 0.1, 0.1])


@dataclass(frozen=True)
class LengthControlled:
    """LC win rates in points per model (NaN when not computable), their interval and φ."""

    lc_win_rate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    length_coefficient: np.ndarray


def instruction_difficulty(x: np.ndarray, contributes: np.ndarray | None = None) -> np.ndarray:
    """γ (prompts × models): leave-model-out smoothed logit difficulty of each prompt.

    ``contributes`` (one bool per column, default all) says which models the difficulty is
    learned from: canaries are null models built to lose, so they must not make every prompt look
    harder for the real models (each model still leaves itself out).
    """
    if contributes is not None:
        x = np.where(np.asarray(contributes, dtype=bool)[None, :], x, np.nan)
    present = ~np.isnan(x)
    filled = np.where(present, x, 0.0)
    others_sum = filled.sum(axis=1, keepdims=True) - filled
    others_n = present.sum(axis=1, keepdims=True) - present
    return -logit((others_sum + 1.0) / (others_n + 2.0))


def length_feature(delta_len: np.ndarray) -> np.ndarray:
    """tanh(Δ / sd(Δ)) per model column; 0 where Δ is missing or does not vary."""
    present = ~np.isnan(delta_len)
    counts = present.sum(axis=0)
    filled = np.where(present, delta_len, 0.0)
    mean = filled.sum(axis=0) / np.maximum(counts, 1)
    squares = (np.where(present, delta_len - mean, 0.0) ** 2).sum(axis=0)
    sd = np.sqrt(squares / np.maximum(counts - 1, 1)) * (counts > 1)
    scaled = np.divide(delta_len, sd, out=np.zeros_like(delta_len), where=sd > 0)
    return np.where(np.isnan(scaled), 0.0, np.tanh(scaled))


def length_controlled(
    x: np.ndarray,
    delta_len: np.ndarray,
    rounds: int,
    seed: int,
    level: float,
    contributes: np.ndarray | None = None,
) -> LengthControlled:
    """LC win rates for every column of ``x`` (prompts × models, NaN missing).

    ``delta_len`` has the same shape: model − reference length per prompt, NaN when unknown.
    Prompts missing either a preference or a length difference are left out of that model's fit.
    ``contributes``: the columns the prompt difficulty is learned from (see
    :func:`instruction_difficulty`); every column still gets its own LC rate.
    """
    n, m = x.shape
    gamma = instruction_difficulty(x, contributes)
    feature = length_feature(delta_len)
    counts = resample_counts(n, rounds, np.random.default_rng(seed))
    lc = np.full(m, np.nan)
    coef = np.full(m, np.nan)
    boot = np.full((rounds, m), np.nan)
    for j in range(m):
        valid = ~np.isnan(x[:, j]) & ~np.isnan(delta_len[:, j])
        if not valid.any():
            continue
        design = np.column_stack([np.ones(n), feature[:, j], gamma[:, j]])
        y = np.where(valid, x[:, j], 0.0)
        full = fit_logistic(design, y, valid.astype(float)[None, :], PENALTY)
        weights = np.vstack([valid.astype(float), counts * valid])
        beta = np.vstack([full, fit_logistic(design, y, weights[1:], PENALTY, start=full[0])])
        neutral = sigmoid(beta[:, [0]] + beta[:, [2]] * gamma[:, j])
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = 100.0 * (weights * neutral).sum(axis=1) / weights.sum(axis=1)
        lc[j], coef[j], boot[:, j] = rates[0], beta[0, 1], rates[1:]
    low, high = percentile_interval(boot, level)
    return LengthControlled(lc, low, high, coef)
