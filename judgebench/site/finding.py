"""A suite's result in one sentence, for the index of leaderboards.

The sentence only says what the statistics already decided: the best model's interval against
its reference (does it exclude 50?), whether that survives length control, how many Holm-adjusted
pairs it wins, and the judge's measured accuracy. A judge the adequacy rule calls too weak turns
the whole line into "Inconclusive", so the index can never rank what the suite page refuses to.
"""

from __future__ import annotations

from typing import Any

from judgebench.site import fmt, judge_view

__all__ = ["finding"]

_DASH = " \u2014 "  # the adequacy reasons put their explanation after an em dash


def _rows(lb: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r for r in lb.get("rows") or []
        if isinstance(r, dict) and not r.get("is_canary") and fmt.number(r.get("win_rate")) is not None
    ]


def _against_reference(best: dict[str, Any]) -> str:
    name, ref = str(best.get("model") or "?"), str(best.get("reference") or "the reference")
    win = fmt.fixed(best.get("win_rate"))
    low, high = fmt.number(best.get("win_rate_ci_low")), fmt.number(best.get("win_rate_ci_high"))
    ci = fmt.interval(low, high)
    if low is None or high is None:
        return f"{name} leads against {ref} (win rate {win}; no interval)"
    if low > 50:
        text = f"{name} beats {ref} (win rate {win}, 95% CI {ci})"
        lc_low = fmt.number(best.get("lc_win_rate_ci_low"))
        if lc_low is not None and lc_low <= 50:
            lc = fmt.fixed(best.get("lc_win_rate"))
            lc_ci = fmt.interval(best.get("lc_win_rate_ci_low"), best.get("lc_win_rate_ci_high"))
            text += f", but not after length control (LC {lc}, 95% CI {lc_ci})"
        return text
    if high < 50:
        return f"Every model loses to {ref}; the best, {name}, has win rate {win} (95% CI {ci})"
    return f"No model is distinguishable from {ref} (best: {name}, win rate {win}, 95% CI {ci})"


def _pairs(lb: dict[str, Any], best: dict[str, Any]) -> str:
    name, ref = best.get("model"), best.get("reference")
    mine = [
        c for c in lb.get("paired") or []
        if isinstance(c, dict) and name in (c.get("a"), c.get("b")) and c.get("reference") in (None, ref)
    ]
    if not mine:
        return ""
    won = sum(
        1 for c in mine
        if c.get("significant") and ((fmt.number(c.get("diff")) or 0.0) > 0) == (c.get("a") == name)
    )
    lost = sum(1 for c in mine if c.get("significant")) - won
    text = f"; it beats {won} of the other {len(mine)} (paired, Holm-adjusted)"
    return text + (f" and loses to {lost}" if lost else "")


def _curated(lb: dict[str, Any]) -> str:
    """How the curated arms fared against the large-data ones, in the suite's paired comparisons."""
    cvl = lb.get("curated_vs_large")
    if not isinstance(cvl, dict):
        return ""
    curated = {p.get("model"): p.get("curated") for p in cvl.get("points") or [] if isinstance(p, dict)}
    lc = {r.get("model"): fmt.number(r.get("lc_win_rate")) for r in _rows(lb)}
    won = lost = even = reversed_by_length = 0
    for c in cvl.get("comparisons") or []:
        if not isinstance(c, dict) or {curated.get(c.get("a")), curated.get(c.get("b"))} != {True, False}:
            continue
        if not c.get("significant"):
            even += 1
        elif ((fmt.number(c.get("diff")) or 0.0) > 0) == bool(curated.get(c.get("a"))):
            won += 1
            small, large = (c.get("a"), c.get("b")) if curated.get(c.get("a")) else (c.get("b"), c.get("a"))
            lc_small, lc_large = lc.get(small), lc.get(large)
            if lc_small is not None and lc_large is not None and lc_small <= lc_large:
                reversed_by_length += 1
        else:
            lost += 1
    total = won + lost + even
    if not total:
        return ""
    rest = [f"{n} {word}" for n, word in ((lost, "lost"), (even, "inconclusive")) if n]
    if reversed_by_length:
        rest.insert(0, f"{reversed_by_length} of the wins not by length-controlled win rate")
    return (f" Curated vs large data: the curated set wins {won} of {total} paired comparison"
            f"{'s' if total > 1 else ''}" + (f" ({', '.join(rest)})" if rest else "") + ".")


def _judge(lb: dict[str, Any]) -> str:
    creds = [c for c in lb.get("judge_credentials") or [] if isinstance(c, dict)]
    measured = [
        f"{c.get('name') or '?'} {fmt.fixed(c.get('accuracy'), 2)}"
        for c in creds if fmt.number(c.get("accuracy")) is not None
    ]
    if measured:
        return "Judge accuracy against human labels: " + ", ".join(measured)
    return "Judge not validated against human labels"


def finding(lb: dict[str, Any]) -> str:
    """e.g. ``a beats base (win rate 50.3, 95% CI 50.1–50.5); it beats 3 of the other 3 (paired,
    Holm-adjusted). Judge accuracy against human labels: LLMBar-Natural 0.66.``

    Model names keep their case, so a sentence may start with a lower-case name."""
    rows = _rows(lb)
    if not rows:
        return "No judged model yet."
    done = lb.get("completeness")
    prefix = "Incomplete results. " if isinstance(done, dict) and done.get("complete") is False else ""
    if judge_view.too_weak(lb):
        adequacy = lb.get("judge_adequacy") if isinstance(lb.get("judge_adequacy"), dict) else {}
        reasons = [str(r) for r in (adequacy or {}).get("reasons") or []]
        why = f" ({reasons[0].split(_DASH)[0]})" if reasons else ""
        return f"{prefix}Inconclusive: the judge is too weak to rank these models{why}."
    best = max(rows, key=lambda r: fmt.number(r.get("win_rate")) or 0.0)
    return f"{prefix}{_against_reference(best)}{_pairs(lb, best)}.{_curated(lb)} {_judge(lb)}."
