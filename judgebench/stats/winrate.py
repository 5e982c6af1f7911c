"""AlpacaEval's win-rate columns, with its exact definitions so published numbers can be compared.

With x the per-prompt preferences (1 win, 0 loss, ½ draw, fractional allowed):
``win_rate = 100·mean(x)``, ``standard_error = 100·sd(x, ddof=1)/√n``, ``n_wins = #(x > ½)``,
``n_wins_base = #(x < ½)``, ``n_draws = #(x = ½)``, ``discrete_win_rate`` rounds each x to 0, ½ or 1
first. "= ½" uses a 1e-9 tolerance so averaged judgments such as (0.3 + 0.7)/2 count as draws.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

DRAW_TOLERANCE = 1e-9


@dataclass(frozen=True)
class WinRate:
    """The AlpacaEval columns of one model against one reference (None when not computable)."""

    win_rate: float | None
    standard_error: float | None
    n_wins: int
    n_wins_base: int
    n_draws: int
    n_total: int
    discrete_win_rate: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def discretise(x: np.ndarray) -> np.ndarray:
    """Round preferences to 0, ½ or 1 (values within 1e-9 of ½ are draws)."""
    draw = np.abs(x - 0.5) <= DRAW_TOLERANCE
    return np.where(draw, 0.5, np.where(x > 0.5, 1.0, 0.0))


def win_rate_summary(x: np.ndarray) -> WinRate:
    """The AlpacaEval columns for one vector of preferences; NaN entries are ignored."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    draws = np.abs(x - 0.5) <= DRAW_TOLERANCE
    n_draws = int(draws.sum())
    n_wins = int(((x > 0.5) & ~draws).sum())
    n_wins_base = n - n_wins - n_draws
    if n == 0:
        return WinRate(None, None, 0, 0, 0, 0, None)
    se = 100.0 * float(np.std(x, ddof=1)) / math.sqrt(n) if n > 1 else None
    return WinRate(
        win_rate=100.0 * float(np.mean(x)),
        standard_error=se,
        n_wins=n_wins,
        n_wins_base=n_wins_base,
        n_draws=n_draws,
        n_total=n,
        discrete_win_rate=100.0 * float(np.mean(discretise(x))),
    )


def average_length(lengths: np.ndarray) -> int | None:
    """floor(mean length): AlpacaEval's ``avg_length = floor(Σ len / n_prompts)``.

    ``lengths`` holds one length per prompt of the suite (NaN for prompts without a response,
    which are left out). A 1e-9 slack keeps an exact integer mean from flooring one below.
    """
    lengths = np.asarray(lengths, dtype=float)
    lengths = lengths[~np.isnan(lengths)]
    if lengths.size == 0:
        return None
    return int(math.floor(float(lengths.sum()) / lengths.size + 1e-9))
