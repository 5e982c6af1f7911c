"""AlpacaEval's win-rate columns against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from judgebench.stats import average_length, discretise, win_rate_summary


def test_columns_by_hand() -> None:
    x = np.array([1.0, 0.0, 0.5, 1.0, 0.75, np.nan])
    summary = win_rate_summary(x)
    mean = (1 + 0 + 0.5 + 1 + 0.75) / 5
    sd = math.sqrt(sum((v - mean) ** 2 for v in [1, 0, 0.5, 1, 0.75]) / 4)
    assert summary.win_rate == pytest.approx(100 * mean)
    assert summary.standard_error == pytest.approx(100 * sd / math.sqrt(5))
    assert (summary.n_wins, summary.n_wins_base, summary.n_draws, summary.n_total) == (3, 1, 1, 5)
    # 0.75 rounds to a win: (1 + 0 + 0.5 + 1 + 1) / 5.
    assert summary.discrete_win_rate == pytest.approx(100 * 3.5 / 5)


def test_averaged_tie_counts_as_draw() -> None:
    x = np.array([(0.3 + 0.7) / 2, (0.1 + 0.9) / 2])
    summary = win_rate_summary(x)
    assert summary.n_draws == 2 and summary.n_wins == 0 and summary.n_wins_base == 0
    assert list(discretise(np.array([0.2, 0.5, 0.8]))) == [0.0, 0.5, 1.0]


def test_empty_and_single() -> None:
    empty = win_rate_summary(np.array([np.nan]))
    assert empty.win_rate is None and empty.n_total == 0 and empty.standard_error is None
    single = win_rate_summary(np.array([1.0]))
    assert single.win_rate == 100.0 and single.standard_error is None


def test_average_length_floors_sum_over_prompts() -> None:
    assert average_length(np.array([3, 4, 4])) == 11 // 3
    assert average_length(np.array([2.0, 4.0, np.nan])) == 3
    assert average_length(np.array([np.nan])) is None
