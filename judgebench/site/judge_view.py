"""What the page says about trusting the numbers: warnings at the top, the judge's credentials,
the significance rule and the rank column.

Reads the leaderboard.json fields that the judge-adequacy rule (judgebench.stats.adequacy), the
significance rule (judgebench.stats.paired) and completeness (judgebench.stats.coverage) write;
a leaderboard from an older judgebench lacks them and simply shows no warning.
"""

from __future__ import annotations

from typing import Any

from judgebench.site import fmt

TOO_WEAK, UNVALIDATED = "too weak", "unvalidated"


def _adequacy(lb: dict[str, Any]) -> dict[str, Any]:
    a = lb.get("judge_adequacy")
    return a if isinstance(a, dict) else {}


def too_weak(lb: dict[str, Any]) -> bool:
    return _adequacy(lb).get("status") == TOO_WEAK


def alerts(lb: dict[str, Any]) -> list[dict[str, str]]:
    """Warnings shown under the title, most serious first; each may link to a section."""
    out = []
    done = lb.get("completeness")
    if isinstance(done, dict) and done.get("complete") is False:
        out.append({"kind": "danger", "title": "Incomplete results.", "text": str(done.get("message") or ""),
                    "link": "#leaderboard", "link_text": "See the Errors column"})
    adequacy = _adequacy(lb)
    reasons = "; ".join(str(r) for r in adequacy.get("reasons") or [])
    if adequacy.get("status") == TOO_WEAK:
        out.append({
            "kind": "danger",
            "title": "The judge is too weak to rank these models.",
            "text": f"The judge {reasons}. Every comparison on this page is therefore inconclusive: the numbers "
            "are shown, but they do not rank the models.",
            "link": "#reliability", "link_text": "See the judge's reliability and credentials",
        })
    elif adequacy.get("status") == "adequate" and isinstance(lb.get("judge_credentials"), list):
        measured = "; ".join(
            f"{c.get('name')}: accuracy {fmt.fixed(c.get('accuracy'), 2)} "
            f"(95% CI {fmt.interval(*_pair(c.get('accuracy_ci')), 2)}, chance {fmt.fixed(c.get('chance'), 2)})"
            for c in lb["judge_credentials"] if isinstance(c, dict)
        )
        notes = " ".join(str(n) for n in adequacy.get("notes") or [])
        out.append({
            "kind": "note", "title": "The judge, measured against human labels.",
            "text": f"{measured}. {notes}".strip(),
            "link": "#credentials", "link_text": "Judge credentials",
        })
    elif adequacy.get("status") == UNVALIDATED:
        out.append({
            "kind": "note", "title": "Unvalidated judge.",
            "text": "No validation set with human labels was measured for this judge, so its accuracy is unknown.",
            "link": "#reliability", "link_text": "Judge reliability",
        })
    return out


def rank_cell(row: dict[str, Any], lb: dict[str, Any]) -> tuple[str, str]:
    """(text, sort value) of a row's rank: 1 + the models significantly better than it."""
    if row.get("is_canary"):
        return "canary", ""
    if too_weak(lb) and row.get("reference"):
        return "inconclusive", ""
    rank = fmt.number(row.get("rank"))
    return (fmt.DASH, "") if rank is None else (fmt.integer(rank), repr(rank))


def significance(lb: dict[str, Any]) -> str:
    """The one significance rule, as leaderboard.json states it (empty for older files)."""
    sig = lb.get("significance")
    if not isinstance(sig, dict) or not sig.get("method"):
        return ""
    text = str(sig["method"])
    return text[0].upper() + text[1:] + "."


def _pair(value: Any) -> tuple[Any, Any]:
    return (value[0], value[1]) if isinstance(value, list) and len(value) == 2 else (None, None)


def credentials(lb: dict[str, Any]) -> dict[str, Any] | None:
    """The judge's credentials table and the rule's verdict; None when the file has neither."""
    raw = lb.get("judge_credentials")
    adequacy = _adequacy(lb)
    if not isinstance(raw, list) and not adequacy:
        return None
    rows = []
    for c in raw if isinstance(raw, list) else []:
        if not isinstance(c, dict):
            continue
        ci, kci = _pair(c.get("accuracy_ci")), _pair(c.get("kappa_ci"))
        published: dict[str, Any] = c["published"] if isinstance(c.get("published"), dict) else {}
        low, chance = fmt.number(ci[0]), fmt.number(c.get("chance"))
        rows.append({
            "name": str(c.get("name") or "?"),
            "pairs": fmt.integer(c.get("pairs")),
            "judgments": fmt.integer(c.get("judgments")),
            "scoring": str(c.get("scoring") or fmt.DASH),
            "accuracy": fmt.fixed(c.get("accuracy"), 2),
            "accuracy_ci": fmt.interval(ci[0], ci[1], 2),
            "chance": fmt.fixed(chance, 2),
            "above_chance": low is not None and chance is not None and low > chance,
            "published": ", ".join(f"{k} {fmt.fixed(v, 2)}" for k, v in published.items()) or fmt.DASH,
            "agreement": fmt.fixed(c.get("positional_agreement"), 2),
            "kappa": fmt.fixed(c.get("kappa"), 2),
            "kappa_ci": fmt.interval(kci[0], kci[1], 2),
            "pf": fmt.percent(c.get("parse_failure_rate")),
        })
    return {
        "rows": rows,
        "status": str(adequacy.get("status") or ""),
        "reasons": [str(r) for r in adequacy.get("reasons") or []],
        "rule": str(adequacy.get("rule") or ""),
        "notes": [str(n) for n in adequacy.get("notes") or []],
    }
