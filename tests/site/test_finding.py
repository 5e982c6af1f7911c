"""The index's one-line finding says only what the statistics decided."""

from __future__ import annotations

from typing import Any

from judgebench.site.finding import finding
from judgebench.site.render import render_index


def _row(model: str, win: float, low: float, high: float, **extra: Any) -> dict[str, Any]:
    return {"model": model, "reference": "base", "win_rate": win, "win_rate_ci_low": low,
            "win_rate_ci_high": high, **extra}


def _pair(a: str, b: str, diff: float, significant: bool) -> dict[str, Any]:
    return {"a": a, "b": b, "reference": "base", "diff": diff, "significant": significant,
            "verdict": ("A better" if diff > 0 else "B better") if significant else "no difference"}


def _lb(rows: list[dict[str, Any]], paired: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"suite": "s", "rows": rows, "paired": paired or [], **extra}


CREDS = [{"name": "LLMBar-Natural", "accuracy": 0.66}, {"name": "PandaLM", "accuracy": 0.68}]


def test_a_winner_whose_interval_excludes_half_beats_the_reference() -> None:
    lb = _lb(
        [_row("big", 58.0, 52.0, 64.0, lc_win_rate=57.0, lc_win_rate_ci_low=51.0, lc_win_rate_ci_high=63.0),
         _row("small", 49.0, 44.0, 54.0)],
        [_pair("small", "big", -9.0, True)],
        judge_credentials=CREDS, judge_adequacy={"status": "adequate"},
    )
    text = finding(lb)
    assert text.startswith("big beats base (win rate 58.0, 95% CI 52.0–64.0)")
    assert "length control" not in text
    assert "it beats 1 of the other 1" in text and "loses" not in text
    assert text.endswith("Judge accuracy against human labels: LLMBar-Natural 0.66, PandaLM 0.68.")


def test_a_win_that_length_control_removes_is_said() -> None:
    lb = _lb([_row("long", 50.3, 50.1, 50.5, lc_win_rate=50.1, lc_win_rate_ci_low=49.9, lc_win_rate_ci_high=50.2)])
    assert "but not after length control (LC 50.1, 95% CI 49.9–50.2)" in finding(lb)


def test_an_interval_over_half_is_no_difference_and_losses_are_counted() -> None:
    lb = _lb([_row("a", 52.0, 47.0, 57.0), _row("b", 40.0, 35.0, 45.0), _row("c", 45.0, 40.0, 50.5)],
             [_pair("a", "b", 12.0, True), _pair("c", "a", 7.0, True), _pair("b", "c", -5.0, False)])
    text = finding(lb)
    assert text.startswith("No model is distinguishable from base (best: a, win rate 52.0")
    assert "it beats 1 of the other 2 (paired, Holm-adjusted) and loses to 1" in text
    assert "Judge not validated against human labels." in text


def test_a_too_weak_judge_makes_the_line_inconclusive_even_with_a_clear_interval() -> None:
    reason = "it is degenerate on this suite: position consistency 0.00 (below 0.50) \u2014 it picks a position"
    lb = _lb([_row("a", 90.0, 85.0, 95.0)], judge_adequacy={"status": "too weak", "reasons": [reason]})
    text = finding(lb)
    assert text.startswith("Inconclusive: the judge is too weak")
    assert "position consistency 0.00" in text and "picks a position" not in text and "beats" not in text


def test_canaries_incomplete_runs_and_empty_suites() -> None:
    assert finding(_lb([])) == "No judged model yet."
    lb = _lb([_row("canary", 99.0, 98.0, 100.0, is_canary=True), _row("m", 30.0, 25.0, 35.0)],
             completeness={"complete": False})
    text = finding(lb)
    assert text.startswith("Incomplete results. Every model loses to base; the best, m,")
    assert "canary" not in text


def test_the_index_shows_each_suites_finding_escaped() -> None:
    html = render_index([_lb([_row("<b>x</b>", 60.0, 55.0, 65.0)], suite="evil")])
    assert '<td class="finding">&lt;b&gt;x&lt;/b&gt; beats base' in html
    assert "<b>x</b>" not in html


def test_curated_against_large_is_counted_from_the_suites_comparisons() -> None:
    points = [{"model": "c1", "curated": True}, {"model": "c2", "curated": True},
              {"model": "c3", "curated": True}, {"model": "big", "curated": False}]
    comps = [_pair("c1", "big", 2.0, True), _pair("big", "c2", 3.0, True), _pair("c3", "big", 1.0, False),
             _pair("c1", "c2", 1.0, True)]  # curated vs curated: not counted
    lb = _lb([_row("c1", 55.0, 51.0, 59.0)], curated_vs_large={"points": points, "comparisons": comps})
    assert "Curated vs large data: the curated set wins 1 of 3 paired comparisons (1 lost, 1 inconclusive)." \
        in finding(lb)
    assert "Curated vs large" not in finding(_lb([_row("c1", 55.0, 51.0, 59.0)]))


def test_a_curated_win_that_length_control_reverses_is_flagged() -> None:
    points = [{"model": "c1", "curated": True}, {"model": "big", "curated": False}]
    rows = [_row("c1", 51.0, 50.5, 51.5, lc_win_rate=49.5), _row("big", 49.0, 48.5, 49.5, lc_win_rate=49.6)]
    lb = _lb(rows, curated_vs_large={"points": points, "comparisons": [_pair("c1", "big", 2.0, True)]})
    assert "the curated set wins 1 of 1 paired comparison (1 of the wins not by length-controlled win rate)." \
        in finding(lb)


def test_the_suite_page_opens_with_the_same_finding() -> None:
    from judgebench.site.render import render_suite_page

    lb = _lb([_row("m", 60.0, 55.0, 65.0)], judge_adequacy={"status": "too weak", "reasons": ["x"]})
    html = render_suite_page(lb, {})
    assert '<p class="finding" id="finding"><strong>Finding:</strong> Inconclusive: the judge is too weak' in html
