"""Inline SVG charts: one marker per plottable model, escaped labels, shape carries the kind."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from judgebench.site.svg import chart_points, curated_vs_large_chart, interval_bar

NS = "{http://www.w3.org/2000/svg}"


def _points(lb: dict[str, Any]) -> list[dict[str, Any]]:
    return lb["curated_vs_large"]["points"]


def test_chart_has_one_point_per_model(leaderboard: dict[str, Any]) -> None:
    pts = _points(leaderboard)
    svg = str(curated_vs_large_chart(pts))
    root = ET.fromstring(svg)  # well-formed XML
    groups = [g for g in root.iter(f"{NS}g") if g.get("class") == "pt"]
    assert sorted(g.get("data-model") or "" for g in groups) == sorted(p["model"] for p in pts)


def test_curated_and_large_differ_in_shape_and_colour_class(leaderboard: dict[str, Any]) -> None:
    pts = _points(leaderboard)
    root = ET.fromstring(str(curated_vs_large_chart(pts)))
    shapes = {}
    for g in root.iter(f"{NS}g"):
        if g.get("class") == "pt":
            mk = next(e for e in g if (e.get("class") or "").startswith("mk"))
            shapes[g.get("data-model")] = (mk.tag.removeprefix(NS), mk.get("class"))
    for p in pts:
        expected = ("circle", "mk curated") if p["curated"] else ("rect", "mk large")
        assert shapes[p["model"]] == expected
    legend = next(g for g in root.iter(f"{NS}g") if g.get("class") == "legend")
    assert {t.text for t in legend.iter(f"{NS}text")} >= {"curated", "large-data"}


def test_model_names_are_escaped() -> None:
    pts = [
        {
            "model": "<script>alert(1)</script>",
            "examples": 1000,
            "curated": True,
            "win_rate": 50.0,
            "ci_low": 40.0,
            "ci_high": 60.0,
        }
    ]
    svg = str(curated_vs_large_chart(pts))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_points_without_size_or_win_rate_are_skipped_not_fatal() -> None:
    pts: list[dict[str, Any]] = [
        {"model": "a", "examples": None, "curated": True, "win_rate": 50.0},
        {"model": "b", "examples": 0, "curated": True, "win_rate": 50.0},
        {"model": "c", "examples": 100, "curated": False, "win_rate": None},
        {"model": "d", "examples": 100, "curated": False, "win_rate": 40.0, "ci_low": None, "ci_high": None},
    ]
    good, skipped = chart_points(pts)
    assert [p.model for p in good] == ["d"]
    assert skipped == ["a (no training-set size)", "b (0 training examples: a log axis has no place for it)",
                       "c (no win rate)"]
    root = ET.fromstring(str(curated_vs_large_chart(pts)))
    assert len([g for g in root.iter(f"{NS}g") if g.get("class") == "pt"]) == 1


def test_empty_chart_is_empty() -> None:
    assert str(curated_vs_large_chart([])) == ""


def test_log_axis_places_ten_times_more_data_one_decade_right() -> None:
    pts = [
        {"model": m, "examples": n, "curated": True, "win_rate": 50.0}
        for m, n in (("a", 100), ("b", 1000), ("c", 10000))
    ]
    svg = str(curated_vs_large_chart(pts))
    xs = {
        m: float(x)
        for m, x in re.findall(r'data-model="(\w)">.*?<circle class="mk curated" cx="([\d.]+)"', svg)
    }
    assert abs((xs["b"] - xs["a"]) - (xs["c"] - xs["b"])) < 0.2


def test_interval_bar_draws_estimate_and_interval_or_just_the_track() -> None:
    full = ET.fromstring(str(interval_bar(55.0, 40.0, 70.0)))
    assert [e.get("class") for e in full] == ["track", "even", "ci", "est"]
    empty = ET.fromstring(str(interval_bar(None, None, None)))
    assert [e.get("class") for e in empty] == ["track", "even"]


def test_points_with_the_same_size_are_spread_apart() -> None:
    pts = [{"model": m, "examples": 1000, "curated": True, "win_rate": 50.0} for m in ("a", "b", "c")]
    svg = str(curated_vs_large_chart(pts))
    xs = sorted(
        float(x)
        for x in re.findall(
            r'<g class="pt"[^>]*><title>[^<]*</title>(?:<line[^>]*>)*<circle class="mk curated" cx="([\d.]+)"',
            svg,
        )
    )
    assert len(xs) == 3 and xs[1] - xs[0] >= 11 and xs[2] - xs[1] >= 11
