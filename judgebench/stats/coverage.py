"""What was planned, what was judged, and what failed — generation failures included.

A judgment that could not be made because the model's own response failed (a generation error
after retries) is the model's failure, not "not run yet": it counts as an error of that model's
row. Otherwise a run in which every generation request failed (a ``base_url`` without ``/v1``
answering 404s) would publish a leaderboard with ``Errors 0``. The suite is *complete* only when
every planned judgment was made (ok or an unparseable verdict) and no generation failed.

One function per question so the leaderboard rows and the gate count the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

_KEYS = ["model", "reference"]


@dataclass(frozen=True)
class Counts:
    """Judgment counts of one (model, reference); rates over attempted judgments (None if none)."""

    n_judgments: int
    n_ok: int
    n_parse_failures: int
    n_errors: int
    """Judge errors plus judgments blocked because the model's response failed."""
    n_missing: int
    """Not run yet (and not blocked by a failed generation)."""
    n_generation_errors: int
    """The model's own responses that failed (prompts × samples)."""
    parse_failure_rate: float | None
    error_rate: float | None

    def to_dict(self) -> dict[str, int | float | None]:
        return asdict(self)


NO_COUNTS = Counts(0, 0, 0, 0, 0, 0, None, None)


def _failed_prompts(responses: pd.DataFrame) -> pd.DataFrame:
    if responses.empty:
        return pd.DataFrame({"model": pd.Series(dtype=str), "prompt_id": pd.Series(dtype=str)})
    failed = responses.loc[responses["status"] == "error", ["model", "prompt_id"]]
    return failed.astype(str).drop_duplicates()


def _blocked(judgments: pd.DataFrame, responses: pd.DataFrame) -> pd.Series:
    """Missing judgments per (model, reference) whose model response failed (a boolean per row)."""
    failed = _failed_prompts(responses)
    if failed.empty or judgments.empty:
        return pd.Series(False, index=judgments.index)
    keys = pd.MultiIndex.from_frame(judgments[["model", "prompt_id"]].astype(str))
    bad = pd.MultiIndex.from_frame(failed)
    return pd.Series((judgments["status"] == "missing").to_numpy() & keys.isin(bad), index=judgments.index)


def judgment_counts(judgments: pd.DataFrame, responses: pd.DataFrame) -> dict[tuple[str, str], Counts]:
    """:class:`Counts` per (model, reference) of every judgment row given."""
    if judgments.empty:
        return {}
    blocked = _blocked(judgments, responses)
    frame = judgments[_KEYS].astype(str).assign(
        ok=judgments["status"] == "ok",
        parse=judgments["status"] == "parse_failure",
        error=(judgments["status"] == "error") | blocked,
        missing=(judgments["status"] == "missing") & ~blocked,
    )
    sums = frame.groupby(_KEYS)[["ok", "parse", "error", "missing"]].sum()
    sums["size"] = frame.groupby(_KEYS).size()
    generation = (
        responses[responses["status"] == "error"].groupby(responses["model"].astype(str)).size()
        if not responses.empty
        else pd.Series(dtype=int)
    )
    out = {}
    for record in sums.reset_index().to_dict("records"):
        model, reference = str(record["model"]), str(record["reference"])
        ok, parse, err, missing = (int(record[c]) for c in ("ok", "parse", "error", "missing"))
        attempted = ok + parse + err
        out[(model, reference)] = Counts(
            n_judgments=int(record["size"]),
            n_ok=ok,
            n_parse_failures=parse,
            n_errors=err,
            n_missing=missing,
            n_generation_errors=int(generation.get(model, 0)),
            parse_failure_rate=parse / attempted if attempted else None,
            error_rate=err / attempted if attempted else None,
        )
    return out


def completeness(judgments: pd.DataFrame, responses: pd.DataFrame) -> dict[str, object]:
    """The ``completeness`` block of leaderboard.json: is every planned judgment there?"""
    status = judgments["status"] if not judgments.empty else pd.Series(dtype=str)
    blocked = int(_blocked(judgments, responses).sum()) if not judgments.empty else 0
    judged = int(status.isin(["ok", "parse_failure"]).sum())
    judge_errors = int((status == "error").sum())
    missing = int((status == "missing").sum()) - blocked
    generation = int((responses["status"] == "error").sum()) if not responses.empty else 0
    planned = int(status.size)
    complete = planned > 0 and judged == planned and generation == 0
    if planned == 0:
        message = "Incomplete: nothing was judged."
    elif complete:
        message = f"Complete: all {planned:,} planned judgments were made."
    else:
        parts = [f"{generation:,} generation request(s) failed" if generation else "",
                 f"{blocked:,} judgment(s) could not be made because a model's response failed" if blocked else "",
                 f"{judge_errors:,} judge request(s) failed" if judge_errors else "",
                 f"{missing:,} judgment(s) not made yet (a model's or the reference's response is missing, "
                 "or the judge has not run)" if missing else ""]
        message = (f"Incomplete: {planned - judged:,} of {planned:,} planned judgments are missing — "
                   + "; ".join(p for p in parts if p) + ".")
    return {
        "complete": complete,
        "planned_judgments": planned,
        "judged": judged,
        "judge_errors": judge_errors,
        "blocked_by_generation": blocked,
        "missing": missing,
        "generation_errors": generation,
        "message": message,
    }
