"""What the page says about trusting its numbers: warnings at the top, the judge's credentials,
the significance rule, ranks, a caption that agrees with its table, error bars above markers."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from judgebench.site import render_suite_page
from judgebench.site.svg import curated_vs_large_chart

NS = "{http://www.w3.org/2000/svg}"
WEAK = {"status": "too weak", "rule": "rule text",
        "reasons": ["is degenerate on this suite: position consistency 0.00 (below 0.50)"]}


def _top(html: str) -> str:
    """The page from its start to the leaderboard table: what a reader sees first."""
    return html[: html.index('<table class="sortable lb"')]


def test_a_too_weak_judge_is_named_near_the_top_and_nothing_is_ranked(
    leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    leaderboard["judge_adequacy"] = WEAK
    for p in leaderboard["paired"]:
        p |= {"verdict": "inconclusive", "significant": False}
    html = render_suite_page(leaderboard, explorer)
    top = _top(html)
    assert "The judge is too weak to rank these models." in top and "position consistency 0.00" in top
    assert '<a href="#reliability">' in top
    ranks = re.findall(r'<td class="num rank" data-v="[^"]*">([^<]*)</td>', html)
    assert ranks and set(ranks) == {"inconclusive", "canary"}
    assert "inconclusive (the judge is too weak to rank)" in html
    assert "+7.2 points" in html  # the numbers stay visible


def test_an_adequate_judge_shows_ranks_credentials_and_the_rule(
    leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    html = render_suite_page(leaderboard, explorer)
    top = _top(html)
    assert 'class="alert danger' not in top
    assert "The judge, measured against human labels." in top  # its credentials, beside the table
    assert "accuracy 0.81 (95% CI 0.73\u20130.88, chance 0.50)" in top and "&lt;img src=x" in top
    ranks = re.findall(r'<td class="num rank" data-v="[^"]*">([^<]*)</td>', html)
    assert ranks == ["1", "1", "2", "2", "canary"]
    table = html[html.index('id="credentials-table"'):]
    assert "0.81" in table and "0.73\u20130.88" in table and "gpt-4 0.96" in table and "not above chance" in table
    assert "&lt;img src=x" in table  # a hostile validation-set name is text
    assert "Paired comparisons" in html and "come from the same resamples" in html and "Holm" in html


def test_unvalidated_and_incomplete_runs_say_so_at_the_top(leaderboard: dict[str, Any], explorer: dict[str, Any]) -> None:
    leaderboard["judge_credentials"] = []
    leaderboard["judge_adequacy"] = {"status": "unvalidated", "reasons": [], "rule": ""}
    leaderboard["completeness"] = {"complete": False, "message": "Incomplete: 40 of 40 planned judgments are missing."}
    top = _top(render_suite_page(leaderboard, explorer))
    assert "Incomplete results." in top and "40 of 40" in top and "Unvalidated judge." in top
    assert top.index("Incomplete results.") < top.index("Unvalidated judge.")


def test_the_caption_names_why_a_tabled_model_is_not_plotted(
    leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    """The demo's `terse` has 0 examples and a win rate: the table lists both, the log axis cannot."""
    leaderboard["curated_vs_large"]["points"].append(
        {"model": "terse", "base_model": "b", "examples": 0, "curated": True, "dataset": "system prompt only",
         "win_rate": 49.8, "ci_low": 49.4, "ci_high": 50.2})
    html = render_suite_page(leaderboard, explorer)
    caption = re.search(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert caption is not None
    assert "terse (0 training examples: a log axis has no place for it)" in caption.group(1)
    assert "no training-set size or win rate" not in html
    table = html[html.index('id="cvl-table"'):]
    assert "<th scope=\"row\">terse</th>" in table and "49.8" in table


def test_error_bars_are_drawn_above_markers_and_stick_out_of_them() -> None:
    """Intervals of ±0.5 points (the demo's) must still be visible beside the marker."""
    pts = [{"model": f"m{k}", "examples": 10 ** (k + 1), "curated": k % 2 == 0, "win_rate": 50.0 + k / 10,
            "ci_low": 49.5 + k / 10, "ci_high": 50.5 + k / 10} for k in range(3)]
    root = ET.fromstring(str(curated_vs_large_chart(pts)))
    for g in (g for g in root.iter(f"{NS}g") if g.get("class") == "pt"):
        kids = [c for c in g if c.tag not in (f"{NS}title", f"{NS}text")]
        classes = [c.get("class") for c in kids]
        assert classes[0].startswith("mk") and set(classes[1:]) == {"err"}, classes  # marker first, bars on top
        caps = [c for c in kids[1:] if c.get("y1") == c.get("y2")]
        marker = kids[0]
        half = float(marker.get("r") or float(marker.get("width") or 0) / 2)
        assert all(float(c.get("x2")) - float(c.get("x1")) > 2 * half for c in caps)  # caps wider than the marker


def test_a_demo_like_run_with_an_always_a_judge_says_so_at_the_top() -> None:
    """End to end from judgments: the demo's 135M judge answers "A" in both orders."""
    import pandas as pd

    from judgebench.aggregate import build_leaderboard
    from judgebench.records import ModelInfo
    from judgebench.site import render_index

    rows = [{"model": m, "reference": "ref", "prompt_id": f"p{i}", "category": "", "order": o, "sample": 0,
             "status": "ok", "preference": 1.0 if o == "AB" else 0.0, "label": "A", "score": float("nan"),
             "reasoning": "", "flags": ""} for m in ("terse", "curated-3shot") for i in range(12) for o in ("AB", "BA")]
    responses = pd.DataFrame([{"model": m, "prompt_id": f"p{i}", "sample": 0, "status": "ok", "text": "x" * 10,
                               "length": 10, "prompt_tokens": 1, "completion_tokens": 1}
                              for m in ("terse", "curated-3shot", "ref") for i in range(12)])
    models = [ModelInfo("ref", is_reference=True), ModelInfo("terse"), ModelInfo("curated-3shot")]
    board = build_leaderboard(pd.DataFrame(rows), responses, models, {"suite": "demo", "references": ["ref"]})
    top = _top(render_suite_page(board, {}))
    assert "too weak to rank" in top and "degenerate" in top and "position consistency 0.00" in top
    assert "inconclusive (judge too weak" in render_index([board])
