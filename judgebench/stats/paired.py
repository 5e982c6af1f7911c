"""Paired comparison of two models judged against the same reference on the same prompts.

Both models are compared on the prompts where both have a preference (the intersection). With
``d_i = x_a,i − x_b,i``:

* ``diff = 100·mean(d)`` — the difference of their win rates on those prompts, in points;
* a paired percentile bootstrap interval of ``diff`` (prompts resampled, both models together);
* a two-sided exact sign test on the prompts where they differ: under "no difference" the number
  of prompts where a does better is Binomial(n_differ, ½);
* ``significant`` only when the interval excludes 0 *and* the sign test rejects at ``alpha``. The
  two nearly always agree; requiring both keeps a gate from acting on an artefact of either (the
  bootstrap's skew on small n, or the sign test ignoring how large fractional differences are).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from judgebench.stats.bootstrap import bootstrap_means, percentile_interval, resample_counts

A_BETTER = "A better"
B_BETTER = "B better"
NO_DIFFERENCE = "no significant difference"
DEFAULT_SD = math.sqrt(0.5)
"""sd of x_a − x_b for two independent coin-flip outcomes (win rates near 50%, no ties)."""


@dataclass(frozen=True)
class PairedComparison:
    """Outcome of comparing model ``a`` with model ``b`` against ``reference``.

    n: prompts where both have a preference; diff, ci_low, ci_high: points, a − b (None when
    n = 0); p_value: two-sided sign test (None when n = 0); verdict: "A better", "B better" or
    "no significant difference"; significant: the verdict is not the last one.
    """

    a: str
    b: str
    reference: str
    n: int
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    verdict: str
    significant: bool

    def to_dict(self) -> dict[str, object]:
        """The ``paired`` row of leaderboard.json."""
        return asdict(self)


def sign_test(wins_a: int, wins_b: int) -> float:
    """Exact two-sided binomial p-value of ``wins_a`` successes in ``wins_a + wins_b`` at ½.

    The Binomial(n, ½) law is symmetric, so the two-sided p-value is 2·P(X ≤ min(k, n − k)),
    capped at 1. Exact integer arithmetic (binomial coefficients built incrementally), so no
    overflow or underflow for any n.
    """
    n = wins_a + wins_b
    if n == 0:
        return 1.0
    coefficient, tail = 1, 1
    for i in range(min(wins_a, wins_b)):
        coefficient = coefficient * (n - i) // (i + 1)
        tail += coefficient
    return min(1.0, 2 * tail / 2**n)


def min_detectable_difference(
    n_prompts: int, alpha: float = 0.05, power: float = 0.8, sd: float = DEFAULT_SD
) -> float:
    """Smallest true difference in win rate (points) a paired test on ``n_prompts`` detects.

    Normal approximation of a two-sided paired test: ``MDD = (z_{1−α/2} + z_{power})·sd/√n·100``,
    sd being the standard deviation of the per-prompt difference x_a − x_b (default √½: two
    independent 50% win/loss outcomes; pass the observed sd when known — correlated models have a
    smaller one). Example: 300 prompts, α = 0.05, power 0.8 → 11.4 points.
    """
    if n_prompts <= 0:
        return math.inf
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0) + NormalDist().inv_cdf(power)
    return 100.0 * z * sd / math.sqrt(n_prompts)


def _verdict(diff: float, low: float, high: float, p_value: float, alpha: float) -> tuple[str, bool]:
    significant = p_value < alpha and (low > 0.0 or high < 0.0)
    if not significant:
        return NO_DIFFERENCE, False
    return (A_BETTER if diff > 0 else B_BETTER), True


def compare_columns(
    x: np.ndarray,
    pairs: list[tuple[int, int]],
    names: list[str],
    reference: str,
    rounds: int,
    seed: int,
    alpha: float,
) -> list[PairedComparison]:
    """Paired comparisons of columns of ``x`` (prompts × models, NaN missing).

    Pairs whose two columns are complete share one resample of all prompts; a pair with missing
    prompts is resampled on its own intersection. Either way a pair's result equals
    :func:`compare_vectors` on the same two columns with the same seed.
    """
    if not pairs:
        return []
    a_idx = np.array([a for a, _ in pairs])
    b_idx = np.array([b for _, b in pairs])
    d = x[:, a_idx] - x[:, b_idx]
    complete = ~np.isnan(d).any(axis=0)
    low = np.full(len(pairs), np.nan)
    high = np.full(len(pairs), np.nan)
    if complete.any():
        counts = resample_counts(x.shape[0], rounds, np.random.default_rng(seed))
        low[complete], high[complete] = percentile_interval(
            100.0 * bootstrap_means(d[:, complete], counts), 1.0 - alpha
        )
    results = []
    for k, (a, b) in enumerate(pairs):
        dk = d[:, k][~np.isnan(d[:, k])]
        n = int(dk.size)
        if n == 0:
            results.append(PairedComparison(names[a], names[b], reference, 0, None, None, None, None, NO_DIFFERENCE, False))
            continue
        if not complete[k]:
            counts_k = resample_counts(n, rounds, np.random.default_rng(seed))
            lo, hi = percentile_interval(100.0 * bootstrap_means(dk[:, None], counts_k), 1.0 - alpha)
            low[k], high[k] = lo[0], hi[0]
        diff = 100.0 * float(dk.mean())
        p_value = sign_test(int((dk > 0).sum()), int((dk < 0).sum()))
        lo_k = float(low[k]) if np.isfinite(low[k]) else None
        hi_k = float(high[k]) if np.isfinite(high[k]) else None
        verdict, significant = (
            _verdict(diff, lo_k, hi_k, p_value, alpha) if lo_k is not None and hi_k is not None else (NO_DIFFERENCE, False)
        )
        results.append(PairedComparison(names[a], names[b], reference, n, diff, lo_k, hi_k, p_value, verdict, significant))
    return results


def compare_vectors(
    xa: np.ndarray, xb: np.ndarray, a: str, b: str, reference: str, rounds: int, seed: int, alpha: float
) -> PairedComparison:
    """Paired comparison of two aligned preference vectors (NaN where a model has no preference)."""
    return compare_columns(np.column_stack([xa, xb]), [(0, 1)], [a, b], reference, rounds, seed, alpha)[0]
