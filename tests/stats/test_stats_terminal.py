"""What users read outside the page: the rich table at any width, compare's text, CSV and markdown."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from stats_helpers import Model, consistent_suite, synthetic_suite

from judgebench.aggregate import build_leaderboard, paired_comparison
from judgebench.console import leaderboard_table
from judgebench.report import csv_cell, csv_text
from judgebench.stats import StatsOptions
from judgebench.summary import compare_text, markdown_table

OPTIONS = StatsOptions(rounds=200, lc_rounds=10, bt_rounds=10)
LONG = {  # similar long names: a table that cuts them leaves rows that cannot be told apart
    "instruct-smollm2-135m-lima-1k-lora-r16-epoch3": 0.6,
    "instruct-smollm2-135m-lima-1k-lora-r16-epoch2": 0.55,
    "ckpt-smollm2-135m-alpaca-52k-full-finetune-step-12000": 0.5,
    "ckpt-smollm2-135m-alpaca-52k-full-finetune-step-6000": 0.45,
}


@pytest.fixture(scope="module")
def board() -> dict[str, Any]:
    judgments, responses = consistent_suite(LONG, 40)
    models = [Model("ref", is_reference=True), *(Model(m) for m in LONG)]
    return build_leaderboard(judgments, responses, models, {"suite": "names", "references": ["ref"],
                                                             "judge": {"model": "j"}}, OPTIONS)


def _render(renderable: Any, width: int) -> str:
    out = Console(width=width, file=io.StringIO(), color_system=None, legacy_windows=False)
    out.print(renderable)
    return out.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [60, 80, 200])
def test_model_names_are_never_truncated(board: dict[str, Any], width: int) -> None:
    text = _render(leaderboard_table(board, width), width)
    assert "…" not in text
    lines = text.splitlines()
    for name in LONG:
        assert any(name in line for line in lines), (width, name, text)
    assert max(len(line) for line in lines) <= width


def test_wide_terminals_show_every_column_and_narrow_ones_say_what_is_hidden(board: dict[str, Any]) -> None:
    wide = _render(leaderboard_table(board, 200), 200)
    for header in ("Rank", "Win rate", "95% CI", "LC", "Errors", "Parse fail", "Avg len"):
        assert header in wide
    assert "hidden" not in wide
    narrow = _render(leaderboard_table(board, 80), 80)
    assert "Win rate" in narrow and "hidden at 80 columns" in narrow and "Pos. cons." in narrow.split("hidden")[1]


def test_a_very_narrow_terminal_gets_a_stacked_layout(board: dict[str, Any]) -> None:
    text = _render(leaderboard_table(board, 60), 60)
    first = next(iter(LONG))
    line = text.splitlines().index(first)  # the name on a line of its own
    assert "Win rate" in text.splitlines()[line + 1]


def test_compare_prints_the_rules_p_value_interval_and_mdd_together() -> None:
    judgments, _ = synthetic_suite({"a": 0.7, "b": 0.4}, 3)
    res = paired_comparison(judgments, "a", "b", rounds=500, seed=0, alpha=0.05)
    text = compare_text(res.to_dict(), None, 500, 0.05)
    first = text.splitlines()[0]
    assert re.search(r"95% CI [+−-]\d", first) and "bootstrap p = " in first
    assert "same resamples" in text and "no multiplicity correction" in text
    # 3 prompts: the formula alone would say 114 points; the scale bounds it.
    assert res.min_detectable_difference == 100.0 and "no difference in win rate is reliably detectable" in text


def test_compare_says_inconclusive_when_the_judge_is_too_weak() -> None:
    judgments, _ = synthetic_suite({"a": 0.7, "b": 0.4}, 30)
    res = paired_comparison(judgments, "a", "b", rounds=200)
    weak = {"status": "too weak", "reasons": ["it is degenerate on this suite"], "rule": ""}
    assert "too weak to rank" in compare_text(res.inconclusive().to_dict(), weak, 200, 0.05)


def test_markdown_states_the_rule_the_judge_and_incompleteness(board: dict[str, Any]) -> None:
    text = markdown_table(board)
    assert "Significance: paired bootstrap" in text and "Holm" in text
    assert "The judge is unvalidated" in text and "hard to detect" in text
    incomplete = {**board, "completeness": {"complete": False, "message": "Incomplete: 3 of 9 missing."}}
    assert "Incomplete: 3 of 9 missing." in markdown_table(incomplete)


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_spreadsheets_read_as_formulas_are_escaped(payload: str) -> None:
    board = {"rows": [{"model": payload, "reference": "ref", "win_rate": -3.5, "n_errors": 0}]}
    rows = list(csv.DictReader(io.StringIO(csv_text(board))))
    assert rows[0]["model"] == "'" + payload and rows[0]["win_rate"] == "-3.5"
    assert csv_cell("plain-name") == "plain-name" and csv_cell(None) == "" and csv_cell(np.float64(-1.0)) == -1.0
