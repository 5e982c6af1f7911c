"""Every flag of leaderboard.json, computed here and nowhere else.

* ``canary_win`` (model-level, ``prompt_id`` ""): a canary — a null model that a sound judge
  ranks below everything — won more than the limit against a reference. Pairwise: its win rate
  (ties count half). Single-answer grading: the share of prompts on which its mean grade beats
  the reference model's (equal grades count half).
* response flags (e.g. ``injection``): the judgments frame's ``flags`` column, set from the
  *model's response* (judgebench.canaries' detector reads the response text at report time). One
  flag per (kind, model, prompt): it is the response that is flagged, not the judge or a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from judgebench.stats.protocols import ModelLike

CANARY_WIN = "canary_win"

RESPONSE_FLAGS = {
    "injection": "the response addresses the judge (prompt-injection patterns matched in the model's own text); "
    "its verdicts may have been manipulated",
}


def _single_answer_share(ok: pd.DataFrame, canary: str, reference: str) -> float | None:
    single = ok[(ok["reference"] == "") & ok["model"].isin([canary, reference])]
    if single.empty:
        return None
    grades = single.groupby(["prompt_id", "model"])["score"].mean().unstack("model")
    if canary not in grades or reference not in grades:
        return None
    both = grades[[canary, reference]].dropna()
    if both.empty:
        return None
    wins = (both[canary] > both[reference]).astype(float) + 0.5 * (both[canary] == both[reference]).astype(float)
    return 100.0 * float(wins.mean())


def canary_flags(
    rows: Sequence[dict[str, Any]],
    judgments: pd.DataFrame,
    models: Sequence[ModelLike],
    references: Sequence[str],
    limit: float,
) -> list[dict[str, Any]]:
    """A ``canary_win`` flag per (canary, reference) whose win share exceeds ``limit`` points."""
    shares: dict[tuple[str, str], float] = {}
    for row in rows:
        if row.get("is_canary") and row.get("reference") and row.get("win_rate") is not None:
            shares[(str(row["model"]), str(row["reference"]))] = float(row["win_rate"])
    ok = judgments[judgments["status"] == "ok"] if not judgments.empty else judgments
    for model in models:
        if model.is_canary and not ok.empty:
            for reference in references:
                share = _single_answer_share(ok, model.name, reference)
                if share is not None:
                    shares.setdefault((model.name, reference), share)
    return [
        {
            "kind": CANARY_WIN,
            "model": model,
            "prompt_id": "",
            "message": f"the judge let canary {model} win {share:.0f}% against {reference} (limit {limit:g}%): "
            "a null model built to lose beat the reference, so this judge's verdicts can be gamed — trust "
            "this leaderboard less",
        }
        for (model, reference), share in shares.items()
        if share > limit
    ]


def response_flags(judgments: pd.DataFrame) -> list[dict[str, Any]]:
    """One flag per (kind, model, prompt) whose response the detector flagged."""
    if judgments.empty:
        return []
    flagged = judgments[judgments["flags"].fillna("").astype(str) != ""]
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for model, prompt_id, flags in flagged[["model", "prompt_id", "flags"]].astype(str).itertuples(index=False):
        for kind in (f.strip() for f in flags.split(",")):
            key = (kind, model, prompt_id)
            if kind and key not in seen:
                what = RESPONSE_FLAGS.get(kind, f"the response was flagged {kind!r}")
                seen[key] = {"kind": kind, "model": model, "prompt_id": prompt_id,
                             "message": f"{model}'s response to prompt {prompt_id}: {what}"}
    return list(seen.values())
