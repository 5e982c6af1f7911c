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
