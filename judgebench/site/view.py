"""Turn a leaderboard.json dict into the plain values the templates print.

The statistics stage may leave any number null and any optional section out, so everything
here is defensive: the templates only ever see strings, lists and Markup, never None.
Formatting lives here (not in Jinja) so it is unit-testable and the templates stay dumb.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from judgebench.site import finding, fmt, judge_view, svg


@dataclass(frozen=True)
class Cell:
    """One table cell: what is shown, and the value the browser sorts by."""

    text: str
    sort: str  # number as text, or the lower-cased text; "" sorts last
    extra: str = ""  # small second line (an interval)
    bar: Markup = field(default_factory=lambda: Markup(""))
    title: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool
    help: str = ""


def _ci(low: Any, high: Any) -> str:
    """An interval for a second line, or nothing (not a dash) when it is missing."""
    text = fmt.interval(low, high)
    return "" if text == fmt.DASH else text


def _num_cell(value: Any, text: str, **kw: Any) -> Cell:
    v = fmt.number(value)
    return Cell(text=text, sort="" if v is None else repr(v), **kw)


def _text_cell(value: Any) -> Cell:
    text = "" if value is None else str(value)
    return Cell(text=text or fmt.DASH, sort=text.lower())


def _columns(multi_ref: bool, bt_anchor: str, scores: bool) -> list[Column]:
    cols = [
        Column("model", "Model", False),
        Column("rank", "Rank", True, "1 + the number of models significantly better (Holm-corrected paired "
               "bootstrap); equal ranks cannot be told apart. \u201cinconclusive\u201d when the judge is too weak."),
    ]
    if multi_ref:
        cols.append(Column("reference", "Reference", False))
    cols += [
        Column("base", "Base", False),
        Column("data", "Training data", False),
        Column("examples", "Examples", True),
        Column("curated", "Curated", False),
        Column(
            "win",
            "Win rate",
            True,
            "Share of judgments the model wins against the reference (ties count ½), with its 95% interval.",
        ),
        Column(
            "lc",
            "LC win rate",
            True,
            "Length-controlled win rate: the win rate with the effect of response length removed.",
        ),
        Column("bt", "BT rating", True, f"Bradley–Terry rating on a scale where {bt_anchor} is 50."),
        *(
            [Column("score", "Mean score", True, "Mean grade the judge gave (single-answer grading).")]
            if scores
            else []
        ),
        Column("len", "Avg length", True, "Mean response length in characters."),
        Column("pf", "Parse failures", True, "Judgments whose verdict could not be parsed."),
        Column("err", "Errors", True, "Judgments that could not be made: judge requests that failed after "
               "retries, and the model's own failed generations."),
    ]
    return cols


def _row(r: dict[str, Any], multi_ref: bool, lb: dict[str, Any]) -> dict[str, Any]:
    model = str(r.get("model") or "?")
    rank_text, rank_sort = judge_view.rank_cell(r, lb)
    cells = {
        "model": _text_cell(model),
        "rank": Cell(text=rank_text, sort=rank_sort),
        "reference": _text_cell(r.get("reference")),
        "base": _text_cell(r.get("base_model")),
        "data": _text_cell(r.get("training_dataset")),
        "examples": _num_cell(r.get("training_examples"), fmt.integer(r.get("training_examples"))),
        "curated": _text_cell(None if r.get("curated") is None else fmt.yes_no(r.get("curated"))),
        "win": _num_cell(
            r.get("win_rate"),
            fmt.fixed(r.get("win_rate")),
            extra=_ci(r.get("win_rate_ci_low"), r.get("win_rate_ci_high")),
            bar=svg.interval_bar(
                r.get("win_rate"), r.get("win_rate_ci_low"), r.get("win_rate_ci_high"), width=72
            ),
        ),
        "lc": _num_cell(
            r.get("lc_win_rate"),
            fmt.fixed(r.get("lc_win_rate")),
            extra=_ci(r.get("lc_win_rate_ci_low"), r.get("lc_win_rate_ci_high")),
        ),
        "bt": _num_cell(
            r.get("bt_rating"),
            fmt.fixed(r.get("bt_rating")),
            extra=_ci(r.get("bt_ci_low"), r.get("bt_ci_high")),
        ),
        "score": _num_cell(r.get("mean_score"), fmt.fixed(r.get("mean_score"), 2)),
        "len": _num_cell(r.get("avg_length"), fmt.integer(r.get("avg_length"))),
        "pf": _num_cell(
            r.get("n_parse_failures"),
            fmt.integer(r.get("n_parse_failures")),
            title=f"rate {fmt.percent(r.get('parse_failure_rate'))}",
        ),
        "err": _num_cell(
            r.get("n_errors"),
            fmt.integer(r.get("n_errors")),
            title=f"rate {fmt.percent(r.get('error_rate'))}",
        ),
    }
    if not multi_ref:
        cells.pop("reference")
    return {"model": model, "canary": bool(r.get("is_canary")), "cells": cells}


def leaderboard_table(lb: dict[str, Any]) -> dict[str, Any]:
    """Columns and rows of the main table, best win rate first."""
    rows = [r for r in lb.get("rows") or [] if isinstance(r, dict)]
    refs = {r.get("reference") for r in rows}
    multi_ref = len(refs) > 1
    rows.sort(key=lambda r: (fmt.number(r.get("win_rate")) is None, -(fmt.number(r.get("win_rate")) or 0.0)))
    bt = lb.get("bradley_terry") if isinstance(lb.get("bradley_terry"), dict) else {}
    assert isinstance(bt, dict)
    anchor = str(bt.get("anchor_model") or "the anchor model")
    scores = any(fmt.number(r.get("mean_score")) is not None for r in rows)
    cols = _columns(multi_ref, anchor, scores)
    return {"columns": cols, "rows": [_row(r, multi_ref, lb) for r in rows]}


def curated_section(lb: dict[str, Any]) -> dict[str, Any] | None:
    """The chart, its text equivalent and the paired comparisons as sentences."""
    cvl = lb.get("curated_vs_large")
    if not isinstance(cvl, dict):
        return None
    points = [p for p in cvl.get("points") or [] if isinstance(p, dict)]
    plotted, skipped = svg.chart_points(points)
    table = [
        {
            "model": str(p.get("model") or "?"),
            "dataset": str(p.get("dataset") or fmt.DASH),
            "examples": fmt.integer(p.get("examples")),
            "kind": "unknown" if p.get("curated") is None else "curated" if p.get("curated") else "large-data",
            "win": fmt.fixed(p.get("win_rate")),
            "ci": fmt.interval(p.get("ci_low"), p.get("ci_high")),
        }
        for p in sorted(points, key=lambda p: fmt.number(p.get("examples")) or 0.0)
    ]
    mdd = fmt.number(cvl.get("min_detectable_difference"))
    n = fmt.number(cvl.get("mdd_prompts", cvl.get("n_prompts")))
    power = ""
    if mdd is not None:
        method = ("normal approximation of a paired test at the 5% level with 80% power, per-prompt sd √½, "
                  "capped at the 100-point scale")
        sig = lb.get("significance")
        if isinstance(sig, dict) and sig.get("min_detectable_difference_method"):
            method = str(sig["min_detectable_difference_method"])
        if n is None:
            power = f"Minimum detectable difference: about {fmt.fixed(mdd)} points ({method})."
        elif mdd >= 100:
            power = (f"With {fmt.integer(n)} prompts no difference in win rate can be reliably detected "
                     f"({method}).")
        else:
            power = (f"With {fmt.integer(n)} prompts, differences smaller than about {fmt.fixed(mdd)} points "
                     f"cannot be told apart from noise ({method}).")
    comps = [c for c in cvl.get("comparisons") or [] if isinstance(c, dict)]
    return {
        "chart": svg.curated_vs_large_chart(points),
        "n_plotted": len(plotted),
        "skipped": skipped,
        "table": table,
        "sentences": [
            {"text": fmt.comparison_sentence(c), "significant": bool(c.get("significant"))} for c in comps
        ],
        "power": power,
    }


def paired_sentences(lb: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for c in lb.get("paired") or []:
        if isinstance(c, dict):
            ref = c.get("reference")
            text = fmt.comparison_sentence(c) + (f" (vs {ref})" if ref else "")
            out.append({"text": text, "significant": bool(c.get("significant"))})
    return out


def categories(lb: dict[str, Any]) -> list[dict[str, Any]]:
    """Per reference, a category × model matrix of win rates."""
    rows = [r for r in lb.get("categories") or [] if isinstance(r, dict)]
    by_ref: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_ref.setdefault(str(r.get("reference") or ""), []).append(r)
    tables = []
    for ref, items in by_ref.items():
        models = list(dict.fromkeys(str(r.get("model") or "?") for r in items))
        cats = sorted({str(r.get("category") or "(none)") for r in items})
        grid: dict[tuple[str, str], dict[str, Any]] = {}
        for r in items:
            grid[(str(r.get("category") or "(none)"), str(r.get("model") or "?"))] = r
        body = []
        for cat in cats:
            cells = []
            n = ""
            for m in models:
                hit = grid.get((cat, m))
                if hit is None:
                    cells.append({"win": fmt.DASH, "ci": "", "bar": Markup("")})
                    continue
                n = fmt.integer(hit.get("n"))
                cells.append(
                    {
                        "win": fmt.fixed(hit.get("win_rate")),
                        "ci": _ci(hit.get("ci_low"), hit.get("ci_high")),
                        "bar": svg.interval_bar(
                            hit.get("win_rate"), hit.get("ci_low"), hit.get("ci_high"), width=72
                        ),
                    }
                )
            body.append({"category": cat, "n": n, "cells": cells})
        tables.append({"reference": ref, "models": models, "rows": body})
    return tables


_RELIABILITY = [
    (
        "position_consistency",
        "Position consistency",
        "Share of prompts where the verdict agrees after swapping the order of the two responses. Higher is better.",
    ),
    ("tie_rate", "Tie rate", "Share of ok judgments that are ties."),
    ("parse_failure_rate", "Parse-failure rate", "Share of judgments whose verdict could not be parsed."),
    ("error_rate", "Error rate", "Share of judge requests that failed after retries."),
    (
        "repeat_agreement",
        "Repeat agreement",
        "Agreement between repeated judgments of the same pair (judge samples > 1).",
    ),
]


def reliability(lb: dict[str, Any]) -> dict[str, Any]:
    """Overall judge reliability figures and the same per model."""
    rel = lb.get("reliability") if isinstance(lb.get("reliability"), dict) else {}
    assert isinstance(rel, dict)
    overall = [
        {"label": label, "value": fmt.percent(rel.get(key)), "help": help_}
        for key, label, help_ in _RELIABILITY
        if key in rel
    ]
    per_model = [
        {
            "model": str(r.get("model") or "?"),
            "reference": str(r.get("reference") or ""),
            "pc": fmt.percent(r.get("position_consistency")),
            "tie": fmt.percent(r.get("tie_rate")),
            "pf": fmt.percent(r.get("parse_failure_rate")),
            "err": fmt.percent(r.get("error_rate")),
            "n": fmt.integer(r.get("n_judgments")),
        }
        for r in lb.get("rows") or []
        if isinstance(r, dict)
    ]
    return {"overall": overall, "per_model": per_model}


def _param_text(params: Any) -> str:
    if not isinstance(params, dict) or not params:
        return fmt.DASH
    return ", ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)}"
        for k, v in sorted(params.items())
    )


def manifest(lb: dict[str, Any]) -> list[tuple[str, str]]:
    """The run manifest as (label, value) pairs, in the order a reader checks them."""
    m = lb.get("manifest") if isinstance(lb.get("manifest"), dict) else {}
    assert isinstance(m, dict)
    judge = m.get("judge") if isinstance(m.get("judge"), dict) else {}
    assert isinstance(judge, dict)

    def s(v: Any) -> str:
        return fmt.DASH if v is None or v == "" else str(v)

    refs = m.get("references") or lb.get("references") or []
    pairs = [
        ("Suite", s(m.get("suite") or lb.get("suite"))),
        ("Judge model", s(judge.get("model"))),
        ("Judge provider", s(judge.get("provider"))),
        ("Judge parameters", _param_text(judge.get("params"))),
        ("Rubric", s(m.get("rubric"))),
        ("Rubric hash", s(m.get("rubric_hash"))),
        ("Protocol", s(m.get("protocol"))),
        ("References", ", ".join(map(str, refs)) or fmt.DASH),
        ("Prompts", fmt.integer(m.get("n_prompts"))),
        ("Suite hash", s(m.get("suite_hash"))),
        ("Prompts hash", s(m.get("prompts_hash"))),
        ("judgebench version", s(m.get("judgebench_version"))),
        ("Created", fmt.when(m.get("created_at"))),
    ]
    return pairs


def flags(lb: dict[str, Any]) -> list[dict[str, str]] | None:
    """None when the stage wrote no flags section; an empty list when it found nothing."""
    raw = lb.get("flags")
    if raw is None:
        return None
    return [
        {
            k: fmt.DASH if f.get(k) in (None, "") else str(f.get(k))
            for k in ("kind", "model", "prompt_id", "message")
        }
        for f in raw
        if isinstance(f, dict)
    ]


def headline(lb: dict[str, Any]) -> dict[str, str]:
    """The numbers the index shows for a suite: its finding in one sentence, best model, its win rate."""
    rows = [
        r for r in lb.get("rows") or [] if isinstance(r, dict) and fmt.number(r.get("win_rate")) is not None
    ]
    m = lb.get("manifest") if isinstance(lb.get("manifest"), dict) else {}
    assert isinstance(m, dict)
    judge = m.get("judge") if isinstance(m.get("judge"), dict) else {}
    assert isinstance(judge, dict)
    best = max(rows, key=lambda r: fmt.number(r.get("win_rate")) or 0.0) if rows else None
    models = {str(r.get("model")) for r in lb.get("rows") or [] if isinstance(r, dict)}
    return {
        "suite": str(lb.get("suite") or m.get("suite") or "?"),
        "best": (f"inconclusive (judge too weak; highest: {best.get('model')})" if judge_view.too_weak(lb)
                 else str(best.get("model"))) if best else fmt.DASH,
        "best_win": fmt.fixed(best.get("win_rate")) if best else fmt.DASH,
        "best_ci": fmt.interval(best.get("win_rate_ci_low"), best.get("win_rate_ci_high")) if best else "",
        "reference": str(best.get("reference") or "") if best else "",
        "models": str(len(models)),
        "prompts": fmt.integer(m.get("n_prompts")),
        "judge": str(judge.get("model") or fmt.DASH),
        "created": fmt.when(m.get("created_at")),
        "description": str(m.get("description") or ""),
        "finding": finding.finding(lb),
    }
