"""Position-debiased scoring of pairwise verdicts from the logprobs of both orders.

A judge's logprob margin for the response shown first, m = log p(first) - log p(second), is
modelled as the true preference s plus a position bias b that does not depend on the responses:
shown AB, m_AB = s + b; shown BA, m_BA = -s + b. So m_AB - m_BA = 2s: the bias cancels. A tiny
judge that answers "A" to everything (argmax accuracy 0.50) can still rank through s --
PLATFORM.md measured 0.66 for Qwen2.5-Coder-0.5B on LLMBar-Natural this way.

"p(first)" is the mass of every label that prefers the first-shown response (``A``; for
pairwise-5 ``A>>B`` and ``A>B``), "p(second)" likewise; ties and "neither" count for neither side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from judgebench.protocols import Protocol


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def margin(label_logprobs: Mapping[str, float] | None, protocol: Protocol) -> float | None:
    """log p(first shown) - log p(second shown) at the verdict token; None without logprobs."""
    if not label_logprobs:
        return None
    first = [lp for label, lp in label_logprobs.items() if protocol.preference.get(label, 0.5) > 0.5]
    second = [lp for label, lp in label_logprobs.items() if protocol.preference.get(label, 0.5) < 0.5]
    if not first or not second:
        return None
    return _logsumexp(first) - _logsumexp(second)


def debiased_strength(m_ab: float, m_ba: float) -> float:
    """s = (m_AB - m_BA) / 2: the preference for the response shown first in AB, bias removed."""
    return (m_ab - m_ba) / 2.0


def debiased_preference(m_ab: float, m_ba: float) -> float:
    """The preference in [0, 1] for the AB-first response (the model; a pair's response_a): sigmoid(s)."""
    s = debiased_strength(m_ab, m_ba)
    if s >= 0:
        return 1.0 / (1.0 + math.exp(-s))
    e = math.exp(s)
    return e / (1.0 + e)


def debiased_label(m_ab: float, m_ba: float) -> str:
    """"A" (the AB-first response wins), "B" or "tie"."""
    s = debiased_strength(m_ab, m_ba)
    return "A" if s > 0 else "B" if s < 0 else "tie"


def debias(records: list[dict[str, Any]], margins: Mapping[int, float | None]) -> None:
    """Replace each pairwise record's preference by the debiased one of its (AB, BA) pair, in place.

    ``records``: judgments-frame rows (model, reference, prompt_id, sample, order, preference);
    ``margins``: record index -> its margin (None without logprobs). A pair lacking either order's
    margin keeps its per-order preferences (so nothing is dropped, and nothing invented).
    """
    pairs: dict[tuple[Any, ...], dict[str, int]] = {}
    for i, r in enumerate(records):
        if r["order"] in ("AB", "BA"):
            pairs.setdefault((r["model"], r["reference"], r["prompt_id"], r["sample"]), {})[r["order"]] = i
    for orders in pairs.values():
        ab, ba = orders.get("AB"), orders.get("BA")
        if ab is None or ba is None:
            continue
        m_ab, m_ba = margins.get(ab), margins.get(ba)
        if m_ab is None or m_ba is None:
            continue
        value = debiased_preference(m_ab, m_ba)
        records[ab]["preference"] = records[ba]["preference"] = value
