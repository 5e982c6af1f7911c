"""Batched ridge logistic regression with fractional targets, by Newton's method (numpy only).

Fractional targets y ∈ [0, 1] are fine: the log-likelihood ``Σ w (y log p + (1 − y) log(1 − p))``
stays concave, so Newton's method converges from zero. Many fits that share one design but differ
in their weights (bootstrap rounds, where weights are resample counts) are solved together.
"""

from __future__ import annotations

import numpy as np

MAX_ITER = 100
TOLERANCE = 1e-10
MAX_STEP = 5.0


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow warnings for large |z| (exp is faster than tanh)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def converged(step: np.ndarray, grad: np.ndarray, scale: np.ndarray) -> bool:
    """Newton has converged for every fit: tiny steps, or gradients tiny against the total weight.

    The gradient test ends saturated fits (a model that wins everything), whose free coefficient
    would otherwise creep up by about one per step while the fitted probabilities sit at 0 or 1.
    """
    small_step = np.max(np.abs(step), axis=1, initial=0.0) < TOLERANCE
    small_grad = np.max(np.abs(grad), axis=1, initial=0.0) < TOLERANCE * np.maximum(scale, 1.0)
    return bool(np.all(small_step | small_grad))


def fit_logistic(
    design: np.ndarray, y: np.ndarray, weights: np.ndarray, penalty: np.ndarray, start: np.ndarray | None = None
) -> np.ndarray:
    """Maximise ``Σ w·loglik − ½ Σ penalty·β²`` for each row of ``weights``.

    design: (n, p); y: (n,) targets in [0, 1]; weights: (r, n), zero for left-out rows;
    penalty: (p,) ridge strength per coefficient (0 leaves it free); start: (p,) or (r, p) first
    guess (default zero; bootstrap rounds start from the full-sample fit and need fewer steps, the
    optimum being unique). Returns β of shape (r, p).
    Every Hessian is one matrix product with the n × p² column products of the design. A 1e-9
    jitter on its diagonal keeps saturated fits solvable.
    """
    r, p = weights.shape[0], design.shape[1]
    beta = np.zeros((r, p)) if start is None else np.broadcast_to(start, (r, p)).astype(float)
    ridge = np.diag(penalty + 1e-9)
    products = (design[:, :, None] * design[:, None, :]).reshape(design.shape[0], p * p)
    scale = weights.sum(axis=1)
    for _ in range(MAX_ITER):
        prob = sigmoid(beta @ design.T)
        grad = (weights * (y - prob)) @ design - penalty * beta
        hessian = ((weights * prob * (1.0 - prob)) @ products).reshape(r, p, p) + ridge
        step = np.clip(np.linalg.solve(hessian, grad[:, :, None])[:, :, 0], -MAX_STEP, MAX_STEP)
        beta += step
        if converged(step, grad, scale):
            break
    return beta
