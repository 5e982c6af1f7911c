"""Number and sentence formatting shared by the page, the index and the charts.

Every function accepts None (a statistic that could not be computed) and returns an em dash,
because leaderboard.json uses null for "too few prompts" and that must never crash a render.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

DASH = "\u2014"
MINUS = "\u2212"


def number(value: Any) -> float | None:
    """A finite float, or None for None, NaN, booleans and anything non-numeric."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def fixed(value: Any, digits: int = 1) -> str:
    """``54.2`` with a real minus sign; a dash for missing values."""
    v = number(value)
    if v is None:
        return DASH
    return f"{v:.{digits}f}".replace("-", MINUS)


def signed(value: Any, digits: int = 1) -> str:
    """``+3.1`` / ``−2.0``: differences always carry their sign."""
    v = number(value)
    if v is None:
        return DASH
    text = f"{v:+.{digits}f}"
    return text.replace("-", MINUS)


def percent(rate: Any, digits: int = 1) -> str:
    """A 0–1 rate as ``93.5%``."""
    v = number(rate)
    return DASH if v is None else f"{v * 100:.{digits}f}%"


def integer(value: Any) -> str:
    """``52,002``."""
    v = number(value)
    return DASH if v is None else f"{round(v):,}"


def compact(value: Any) -> str:
    """``1k``, ``52k``, ``1.5M`` for axis ticks and tight cells."""
    v = number(value)
    if v is None:
        return DASH
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            scaled = v / size
            return f"{scaled:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{v:g}"


def interval(low: Any, high: Any, digits: int = 1) -> str:
    """``48.1–60.3``, or a dash when either end is missing."""
    if number(low) is None or number(high) is None:
        return DASH
    return f"{fixed(low, digits)}\u2013{fixed(high, digits)}"


def when(value: Any) -> str:
    """An ISO timestamp as ``2026-11-25 17:30 UTC``; anything else is shown as given."""
    if value is None or value == "":
        return DASH
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if stamp.tzinfo is None:
        return stamp.strftime("%Y-%m-%d %H:%M")
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def yes_no(value: Any) -> str:
    if value is None:
        return DASH
    return "yes" if value else "no"


def comparison_sentence(row: dict[str, Any]) -> str:
    """One paired comparison in words, its interval, p-value and verdict from the one rule.

    e.g. ``lima vs alpaca: +3.1 points, 98.3% CI −2.0 to +8.2, bootstrap p = 0.040 (Holm-adjusted
    0.120 over 3 pairs) — no significant difference (inconclusive)``.
    """
    a, b = row.get("a") or "?", row.get("b") or "?"
    diff = number(row.get("diff"))
    if diff is None:
        return f"{a} vs {b}: not enough paired judgments to compare"
    text = f"{a} vs {b}: {signed(diff)} points"
    level = number(row.get("ci_level"))
    if number(row.get("ci_low")) is not None and number(row.get("ci_high")) is not None:
        label = f"{100 * level:.3g}% CI" if level is not None else "95% CI"
        text += f", {label} {signed(row['ci_low'])} to {signed(row['ci_high'])}"
    p = number(row.get("p_value"))
    if p is not None:
        text += ", bootstrap p " + ("< 0.001" if p < 0.001 else f"= {p:.3f}")
        adjusted, m = number(row.get("p_adjusted")), number(row.get("comparisons"))
        if adjusted is not None and m is not None and m > 1:
            shown = "< 0.001" if adjusted < 0.001 else f"{adjusted:.3f}"
            text += f" (Holm-adjusted {shown} over {round(m)} pairs)"
    if row.get("verdict") == "inconclusive":
        return text + " \u2014 inconclusive (the judge is too weak to rank)"
    if row.get("significant"):
        better = a if (diff or 0) > 0 else b
        return text + f" \u2014 significant: {better} better"
    if row.get("significant") is False:
        return text + " \u2014 no significant difference (inconclusive)"
    return text
