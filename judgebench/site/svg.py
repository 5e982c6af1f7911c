"""Inline SVG charts, drawn in Python so the page needs no plotting library.

Colours come from CSS custom properties (``var(--curated)``...) so the same markup follows the
page's light, dark and print styles. Every piece of text from the data goes through
:func:`markupsafe.escape`; the functions return :class:`markupsafe.Markup` so the templates can
insert them without escaping them twice.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from judgebench.site.fmt import compact, fixed, interval, number


def _f(x: float) -> str:
    """Coordinates with one decimal: enough for the eye, small for the page."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def interval_bar(value: Any, low: Any, high: Any, *, width: int = 96, height: int = 14) -> Markup:
    """A 0–100 track with the 95% interval as a bar and the estimate as a dot.

    The dashed mark at 50 is "as good as the reference". Empty track when the value is missing.
    """
    pad = 4.0
    span = width - 2 * pad

    def x(v: float) -> float:
        return pad + span * min(max(v, 0.0), 100.0) / 100.0

    mid = height / 2
    parts = [
        f'<svg class="ibar" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-hidden="true" focusable="false">',
        f'<line class="track" x1="{_f(pad)}" x2="{_f(width - pad)}" y1="{_f(mid)}" y2="{_f(mid)}"/>',
        f'<line class="even" x1="{_f(x(50))}" x2="{_f(x(50))}" y1="1" y2="{height - 1}"/>',
    ]
    v, lo, hi = number(value), number(low), number(high)
    if lo is not None and hi is not None:
        parts.append(f'<line class="ci" x1="{_f(x(lo))}" x2="{_f(x(hi))}" y1="{_f(mid)}" y2="{_f(mid)}"/>')
    if v is not None:
        parts.append(f'<circle class="est" cx="{_f(x(v))}" cy="{_f(mid)}" r="3"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class _Point:
    model: str
    dataset: str
    examples: float
    curated: bool
    win_rate: float
    ci_low: float | None
    ci_high: float | None


def chart_points(points: Sequence[dict[str, Any]]) -> tuple[list[_Point], list[str]]:
    """Split curated_vs_large points into plottable ones and the names of those that are not.

    A point needs a positive training-set size (log axis) and a win rate; each one left out is
    named with the reason, so the caption agrees with the table that lists it.
    """
    good: list[_Point] = []
    skipped: list[str] = []
    for p in points:
        examples, wr = number(p.get("examples")), number(p.get("win_rate"))
        name = str(p.get("model") or "?")
        if examples is None:
            skipped.append(f"{name} (no training-set size)")
            continue
        if examples <= 0:
            skipped.append(f"{name} ({compact(examples)} training examples: a log axis has no place for it)")
            continue
        if wr is None:
            skipped.append(f"{name} (no win rate)")
            continue
        good.append(
            _Point(
                model=name,
                dataset=str(p.get("dataset") or ""),
                examples=examples,
                curated=bool(p.get("curated")),
                win_rate=wr,
                ci_low=number(p.get("ci_low")),
                ci_high=number(p.get("ci_high")),
            )
        )
    return good, skipped


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten in [lo, hi], plus 3× steps when the range spans a decade or less."""
    ticks = []
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 3) if hi - lo <= 2.5 else (1,):
            t = math.log10(m) + e
            if lo - 1e-9 <= t <= hi + 1e-9:
                ticks.append(10**t)
    return ticks


def _dodge(xs: list[float], gap: float = 12.0) -> list[float]:
    """Spread points that share a training-set size sideways, so none hides another."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    out = list(xs)
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and xs[order[end]] - xs[order[start]] < gap:
            end += 1
        group = order[start:end]
        centre = sum(xs[i] for i in group) / len(group)
        for j, i in enumerate(group):
            out[i] = centre + (j - (len(group) - 1) / 2) * gap
        start = end
    return out


def _marker(p: _Point, cx: float, cy: float) -> str:
    """Small markers (r 4, a 7-px square) so that a narrow interval still shows beside them."""
    if p.curated:
        return f'<circle class="mk curated" cx="{_f(cx)}" cy="{_f(cy)}" r="4"/>'
    return f'<rect class="mk large" x="{_f(cx - 3.5)}" y="{_f(cy - 3.5)}" width="7" height="7"/>'


def curated_vs_large_chart(
    points: Sequence[dict[str, Any]], *, width: int = 680, height: int = 380
) -> Markup:
    """Win rate (with 95% interval bars) against training-set size on a log axis.

    Curated models are orange circles, large-data models blue squares: shape and colour both
    carry the distinction, so it survives greyscale printing and colour-blindness. Each point has
    a ``<title>`` for hover; the page gives the same numbers as a table for screen readers.
    """
    pts, _ = chart_points(points)
    if not pts:
        return Markup("")
    left, right, top, bottom = 56.0, 150.0, 20.0, 48.0
    pw, ph = width - left - right, height - top - bottom

    lx = [math.log10(p.examples) for p in pts]
    x_lo, x_hi = min(lx) - 0.15, max(lx) + 0.15
    ys = [v for p in pts for v in (p.win_rate, p.ci_low, p.ci_high) if v is not None] + [50.0]
    y_lo = max(0.0, math.floor((min(ys) - 2) / 10) * 10)
    y_hi = min(100.0, math.ceil((max(ys) + 2) / 10) * 10)
    if y_hi - y_lo < 10:
        y_hi = min(100.0, y_lo + 10)

    def sx(examples: float) -> float:
        return left + pw * (math.log10(examples) - x_lo) / (x_hi - x_lo)

    def sy(v: float) -> float:
        return top + ph * (1 - (min(max(v, y_lo), y_hi) - y_lo) / (y_hi - y_lo))

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="cvl-title cvl-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="cvl-title">Win rate against training-set size</title>',
        '<desc id="cvl-desc">Each model\'s win rate against the reference with its 95% interval, '
        "by number of training examples on a log scale. Curated models are circles, large-data "
        "models squares. The same numbers are in the table below the chart.</desc>",
    ]
    # grid and axes
    step = 10 if y_hi - y_lo > 30 else 5
    y = y_lo
    while y <= y_hi + 1e-9:
        out.append(
            f'<line class="grid" x1="{_f(left)}" x2="{_f(left + pw)}" y1="{_f(sy(y))}" y2="{_f(sy(y))}"/>'
        )
        out.append(
            f'<text class="tick" x="{_f(left - 8)}" y="{_f(sy(y) + 4)}" text-anchor="end">{y:g}</text>'
        )
        y += step
    for t in _log_ticks(x_lo, x_hi):
        out.append(
            f'<line class="grid" x1="{_f(sx(t))}" x2="{_f(sx(t))}" y1="{_f(top)}" y2="{_f(top + ph)}"/>'
        )
        out.append(
            f'<text class="tick" x="{_f(sx(t))}" y="{_f(top + ph + 18)}" text-anchor="middle">{compact(t)}</text>'
        )
    if y_lo <= 50 <= y_hi:
        out.append(
            f'<line class="even" x1="{_f(left)}" x2="{_f(left + pw)}" y1="{_f(sy(50))}" y2="{_f(sy(50))}"/>'
        )
    out.append(f'<rect class="frame" x="{_f(left)}" y="{_f(top)}" width="{_f(pw)}" height="{_f(ph)}"/>')
    out.append(
        f'<text class="axis" x="{_f(left + pw / 2)}" y="{_f(height - 8)}" text-anchor="middle">'
        "training examples (log scale)</text>"
    )
    out.append(
        f'<text class="axis" transform="translate(14 {_f(top + ph / 2)}) rotate(-90)" '
        'text-anchor="middle">win rate vs reference (%)</text>'
    )
    # points, labels placed greedily so they do not overlap
    xs = _dodge([sx(p.examples) for p in pts])
    taken: list[tuple[float, float]] = []
    for i in sorted(range(len(pts)), key=lambda k: -pts[k].win_rate):
        p, cx, cy = pts[i], xs[i], sy(pts[i].win_rate)
        tip = escape(
            f"{p.model}: {fixed(p.win_rate)} (95% CI {interval(p.ci_low, p.ci_high)}), "
            f"{compact(p.examples)} examples, {'curated' if p.curated else 'large-data'}"
        )
        out.append(f'<g class="pt" data-model="{escape(p.model)}"><title>{tip}</title>')
        out.append(_marker(p, cx, cy))
        if p.ci_low is not None and p.ci_high is not None:  # drawn after (above) the marker: never hidden
            y1, y2 = sy(p.ci_low), sy(p.ci_high)
            out.append(f'<line class="err" x1="{_f(cx)}" x2="{_f(cx)}" y1="{_f(y1)}" y2="{_f(y2)}"/>')
            for yy in (y1, y2):
                out.append(
                    f'<line class="err" x1="{_f(cx - 6)}" x2="{_f(cx + 6)}" y1="{_f(yy)}" y2="{_f(yy)}"/>'
                )
        ly = cy + 4
        while any(abs(ly - ty) < 13 and abs(cx - tx) < 110 for tx, ty in taken):
            ly += 13
        taken.append((cx, ly))
        out.append(f'<text class="label" x="{_f(cx + 9)}" y="{_f(ly)}">{escape(p.model)}</text></g>')
    # legend
    lx0, ly0 = left + pw + 24, top + 8
    out.append(f'<g class="legend" transform="translate({_f(lx0)} {_f(ly0)})">')
    out.append('<circle class="mk curated" cx="6" cy="6" r="4"/><text x="18" y="10">curated</text>')
    out.append(
        '<rect class="mk large" x="2.5" y="24.5" width="7" height="7"/><text x="18" y="32">large-data</text>'
    )
    out.append('<line class="err" x1="6" x2="6" y1="42" y2="58"/><text x="18" y="54">95% interval</text>')
    out.append(
        '<line class="even" x1="0" x2="12" y1="74" y2="74"/><text x="18" y="78">= reference (50)</text>'
    )
    out.append("</g></svg>")
    return Markup("".join(out))


# The page's stylesheet, frozen to the light palette, for the chart as a file of its own (the README
# embeds it; an <img> cannot see the page's CSS or its dark-mode variables).
_STANDALONE_STYLE = (
    "<style>svg{font:12px system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;background:#fff}"
    "text{fill:#1b1f24}.tick,.note,.axis{fill:#5b6470}.tick,.note{font-size:11px}"
    ".grid{stroke:#d9dde3;stroke-width:1}.frame{fill:none;stroke:#d9dde3}"
    ".even{stroke:#5b6470;stroke-dasharray:4 3}.err{stroke:#5b6470;stroke-width:1.5}"
    ".mk.curated{fill:#c2410c}.mk.large{fill:#0b5fa5}.label{font-size:11.5px}</style>"
)


def standalone_chart(points: Sequence[dict[str, Any]]) -> str:
    """The curated-vs-large chart as a self-contained SVG document ("" when nothing is plotted)."""
    chart = str(curated_vs_large_chart(points))
    if not chart:
        return ""
    head, sep, rest = chart.partition(">")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{head}{sep}{_STANDALONE_STYLE}' \
        f'<rect width="100%" height="100%" fill="#fff"/>{rest}\n'
