"""The knobs of the statistics, gathered in one frozen object built once by the caller."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatsOptions:
    """How intervals are computed.

    The defaults are what a published leaderboard uses; tests and benchmarks shrink the rounds.
    Bradley–Terry and the length-controlled rate need a model fit per bootstrap round, so they get
    fewer rounds than the plain win rate (whose rounds are one matrix product): 200 rounds put the
    2.5% and 97.5% percentiles within a few tenths of a point of their 1,000-round values.
    """

    rounds: int = 1000
    """Bootstrap rounds for win rates, categories, paired comparisons and mean scores."""
    lc_rounds: int = 200
    """Bootstrap rounds for the length-controlled win rate (one logistic fit per round and model)."""
    bt_rounds: int = 200
    """Bootstrap rounds for Bradley–Terry (one joint fit per round)."""
    seed: int = 0
    """Seed of every bootstrap; the same seed gives the same intervals."""
    level: float = 0.95
    """Coverage of every interval; tests are two-sided at alpha = 1 − level."""
    power: float = 0.8
    """Power used for the minimum detectable difference."""
    style_control: bool = False
    """Add length and markdown-density differences to Bradley–Terry (Chatbot Arena style control)."""
    canary_max_win_rate: float = 50.0
    """A canary (a null model that must lose) winning more than this many points is flagged."""
    max_parse_failure_rate: float = 0.1
    """Above this parse-failure rate the judge is too weak to rank (judgebench.stats.adequacy);
    the same default as the gate's ``max_parse_failures``."""

    @property
    def alpha(self) -> float:
        """Two-sided significance level of the paired tests (0.05 by default)."""
        return 1.0 - self.level
