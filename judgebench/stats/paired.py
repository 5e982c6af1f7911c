"""The one significance rule: a paired bootstrap over prompts, with Holm's correction.

Two models judged against the same reference are compared on the prompts where both have a
preference. With ``d_i = x_a,i − x_b,i`` and R bootstrap rounds (prompts resampled with
replacement, both models together), ``D*_r`` is the resampled ``100·mean(d)``:

* ``diff = 100·mean(d)``, the difference of their win rates on those prompts, in points;
* the two-sided **bootstrap p-value** ``p = min(1, 2·min(#{D* ≤ 0}, #{D* ≥ 0}) / R)``;
* the **interval** at level ``1 − α'``: the order statistics ``D*_(k+1)`` and ``D*_(R−k)`` with
  ``k = ⌈α'R/2⌉ − 1``. With this choice "the interval excludes 0" and "p < α'" are the same
  event, exactly, so a verdict, its interval and its p-value can never contradict each other.

**Holm.** A page shows many pairs, so each family of comparisons (every pair on a page) is
corrected with Holm's step-down procedure: sort the m raw p-values, reject step j while
``p_(j) < α/(m − j + 1)``, stop at the first step s that fails. The adjusted p-value is
``max_{i≤j} min(1, (m − i + 1)·p_(i))``. Each pair's interval is drawn at the level of the step
it was tested at — ``1 − α/(m − min(j, s) + 1)``, so pairs after the stop use the stopping
step's level — which makes "significant ⇔ the shown interval excludes 0 ⇔ adjusted p < α"
hold for every pair (the pairs after the stop have p ≥ p_(s), so their intervals at that level
contain 0). One pair alone (``compare``, the gate) is a family of one: no correction.

**Minimum detectable difference.** :func:`min_detectable_difference` is the only power formula;
the page, the terminal report and the gate all print it for the n a pair was compared on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from judgebench.stats.bootstrap import bootstrap_means, resample_counts

A_BETTER = "A better"
B_BETTER = "B better"
NO_DIFFERENCE = "no significant difference"
INCONCLUSIVE = "inconclusive"
"""The verdict of every pair when the judge is too weak to rank (see judgebench.stats.adequacy)."""

PLANNING_SD = math.sqrt(0.5)
"""sd of x_a − x_b for two independent 50% win/loss outcomes: the planning value of the MDD."""

SCALE = 100.0
"""Win rates are 0–100 points, so no difference in win rate exceeds 100 points."""

METHOD = (
    "paired bootstrap over prompts ({rounds} rounds): the interval of the win-rate difference and its "
    "two-sided p-value come from the same resamples, so a pair is significant exactly when its interval "
    "excludes 0; {correction}; alpha {alpha:g}"
)


def method_text(rounds: int, alpha: float, comparisons: int) -> str:
    """The rule in one sentence, for a family of ``comparisons`` pairs."""
    correction = (
        "one comparison, so no multiplicity correction"
        if comparisons <= 1
        else f"Holm's correction across the {comparisons} comparisons shown (each interval is at the level "
        "Holm tests that pair at)"
    )
    return METHOD.format(rounds=rounds, correction=correction, alpha=alpha)


MDD_METHOD = (
    "normal approximation of a two-sided paired test at alpha {alpha:g} with {power:.0%} power, "
    "per-prompt sd √½ (two independent 50% outcomes), capped at the 100-point scale"
)


@dataclass(frozen=True)
class PairedComparison:
    """Outcome of comparing model ``a`` with model ``b`` against ``reference``.

    n: prompts where both have a preference; diff: points, a − b; ci_low, ci_high: the interval
    at level ``ci_level`` (None when n = 0); p_value: raw two-sided bootstrap p; p_adjusted:
    Holm-adjusted over the ``comparisons`` pairs of its family; verdict: "A better", "B better",
    "no significant difference" or "inconclusive" (judge too weak); significant: adjusted p < alpha
    (equivalently: the interval excludes 0); min_detectable_difference: points, for this n.
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
    p_adjusted: float | None = None
    ci_level: float | None = None
    comparisons: int = 1
    min_detectable_difference: float | None = None

    def to_dict(self) -> dict[str, object]:
        """The ``paired`` row of leaderboard.json (flat scalars: a shallow copy is enough)."""
        return dict(self.__dict__)

    def swapped(self) -> PairedComparison:
        """The same comparison read as b − a (the interval is symmetric in the order statistics)."""
        verdict = {A_BETTER: B_BETTER, B_BETTER: A_BETTER}.get(self.verdict, self.verdict)
        return PairedComparison(
            self.b, self.a, self.reference, self.n,
            None if self.diff is None else -self.diff,
            None if self.ci_high is None else -self.ci_high,
            None if self.ci_low is None else -self.ci_low,
            self.p_value, verdict, self.significant, self.p_adjusted, self.ci_level, self.comparisons,
            self.min_detectable_difference,
        )

    def inconclusive(self) -> PairedComparison:
        """The same numbers, with the verdict withheld (the judge cannot rank)."""
        return replace(self, verdict=INCONCLUSIVE, significant=False)


@dataclass(frozen=True)
class Resampled:
    """One pair before the multiplicity correction: its n, diff and bootstrap distribution."""

    a: str
    b: str
    reference: str
    n: int
    diff: float | None
    boot: np.ndarray
    """Sorted resampled differences in points (finite rounds only; empty when n = 0)."""

    @property
    def p_value(self) -> float | None:
        if self.n == 0 or self.boot.size == 0:
            return None
        low, high = _tail_counts(self.boot)
        return min(1.0, 2.0 * min(low, high) / self.boot.size)


def min_detectable_difference(n_prompts: int, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true difference in win rate (points) a paired test on ``n_prompts`` detects.

    ``min(100, (z_{1−α/2} + z_{power})·√½/√n·100)``: the planning sd √½ (two independent 50%
    outcomes) rather than the observed one, because a degenerate judge (always "A") shows no
    variance at all and would claim that every difference is detectable. Capped at the scale: no
    difference in win rate exceeds 100 points. 300 prompts, α 0.05, power 0.8 → 11.4 points.
    """
    if n_prompts <= 0:
        return SCALE
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0) + NormalDist().inv_cdf(power)
    return min(SCALE, 100.0 * z * PLANNING_SD / math.sqrt(n_prompts))


def _tail_counts(boot: np.ndarray) -> tuple[int, int]:
    """#{D* ≤ 0} and #{D* ≥ 0} of a sorted bootstrap distribution."""
    return int(np.searchsorted(boot, 0.0, side="right")), int(boot.size - np.searchsorted(boot, 0.0, side="left"))


def _order_index(alpha: float, rounds: int) -> int:
    """k = ⌈α'R/2⌉ − 1, the largest integer below α'R/2 (a hair of slack against float noise)."""
    return max(0, min(math.ceil(alpha * rounds / 2.0 - 1e-9) - 1, (rounds - 1) // 2))


def _rejects(boot: np.ndarray, alpha: float) -> bool:
    """The interval at level 1 − alpha excludes 0 (⇔ the bootstrap p-value is below alpha)."""
    k = _order_index(alpha, boot.size)
    return bool(boot[k] > 0.0 or boot[boot.size - 1 - k] < 0.0)


def _interval(boot: np.ndarray, alpha: float) -> tuple[float, float]:
    k = _order_index(alpha, boot.size)
    return float(boot[k]), float(boot[boot.size - 1 - k])


def resample_pairs(
    x: np.ndarray, pairs: Sequence[tuple[int, int]], names: Sequence[str], reference: str, rounds: int, seed: int
) -> list[Resampled]:
    """The bootstrap distribution of every pair of columns of ``x`` (prompts × models, NaN missing).

    Pairs whose two columns are complete share one resample of all prompts; a pair with missing
    prompts is resampled on its own intersection with the same seed. Either way a pair's result
    does not depend on which other pairs were asked for.
    """
    if not pairs:
        return []
    a_idx = np.array([a for a, _ in pairs])
    b_idx = np.array([b for _, b in pairs])
    d = x[:, a_idx] - x[:, b_idx]
    complete = ~np.isnan(d).any(axis=0)
    shared = np.empty((rounds, 0))
    if complete.any():
        counts = resample_counts(x.shape[0], rounds, np.random.default_rng(seed))
        shared = np.sort(100.0 * bootstrap_means(d[:, complete], counts), axis=0)
    column = np.cumsum(complete) - 1
    out = []
    for k, (a, b) in enumerate(pairs):
        dk = d[:, k][~np.isnan(d[:, k])]
        n = int(dk.size)
        if n == 0:
            out.append(Resampled(names[a], names[b], reference, 0, None, np.empty(0)))
            continue
        if complete[k]:
            boot = shared[:, column[k]]
        else:
            counts_k = resample_counts(n, rounds, np.random.default_rng(seed))
            boot = np.sort(100.0 * bootstrap_means(dk[:, None], counts_k)[:, 0])
        out.append(Resampled(names[a], names[b], reference, n, 100.0 * float(dk.mean()), boot[np.isfinite(boot)]))
    return out


def decide(family: Sequence[Resampled], alpha: float, power: float = 0.8) -> list[PairedComparison]:
    """Verdicts for a family of pairs under Holm's step-down correction (module docstring)."""
    usable = [k for k, r in enumerate(family) if r.n > 0 and r.boot.size > 0]
    m = len(usable)
    order = sorted(usable, key=lambda k: (family[k].p_value or 0.0, k))
    level_of: dict[int, float] = {}
    adjusted: dict[int, float] = {}
    stopped: float | None = None
    running = 0.0
    for j, k in enumerate(order):
        step_alpha = alpha / (m - j)
        running = max(running, min(1.0, (m - j) * (family[k].p_value or 0.0)))
        adjusted[k] = running
        if stopped is None and not _rejects(family[k].boot, step_alpha):
            stopped = step_alpha
        level_of[k] = stopped if stopped is not None else step_alpha
    out = []
    for k, r in enumerate(family):
        mdd = min_detectable_difference(r.n, alpha, power) if r.n else None
        if k not in level_of:
            out.append(PairedComparison(r.a, r.b, r.reference, r.n, r.diff, None, None, None, NO_DIFFERENCE,
                                        False, None, None, m, mdd))
            continue
        step = level_of[k]
        low, high = _interval(r.boot, step)
        significant = low > 0.0 or high < 0.0
        verdict = (A_BETTER if low > 0.0 else B_BETTER) if significant else NO_DIFFERENCE
        out.append(PairedComparison(r.a, r.b, r.reference, r.n, r.diff, low, high, r.p_value, verdict,
                                    significant, adjusted[k], 1.0 - step, m, mdd))
    return out


def compare_columns(
    x: np.ndarray,
    pairs: list[tuple[int, int]],
    names: list[str],
    reference: str,
    rounds: int,
    seed: int,
    alpha: float,
) -> list[PairedComparison]:
    """Paired comparisons of columns of ``x`` as one Holm family (see the module docstring)."""
    return decide(resample_pairs(x, pairs, names, reference, rounds, seed), alpha)


def compare_vectors(
    xa: np.ndarray, xb: np.ndarray, a: str, b: str, reference: str, rounds: int, seed: int, alpha: float
) -> PairedComparison:
    """One comparison of two aligned preference vectors (NaN where a model has no preference)."""
    return compare_columns(np.column_stack([xa, xb]), [(0, 1)], [a, b], reference, rounds, seed, alpha)[0]
