"""Pure verdict parsers. They read only the judge's completion, never the prompt.

Order of trust: a JSON object with the schema's fields (what structured output returns), then the
*last* ``[[X]]``-style tag in the text (MT-Bench / Arena-Hard convention), else no verdict (a parse
failure, which is recorded as such and never counted as a tie or a loss).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from judgebench.records import TokenLogprobs

_BRACKET = re.compile(r"\[\[\s*([^\[\]\n]{1,24}?)\s*\]\]")


def find_json_object(text: str) -> dict[str, Any] | None:
    """The whole text as a JSON object, else the last balanced ``{...}`` that parses."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = re.sub(r"^```[a-zA-Z]*\s*|\s*```$", "", stripped)
    try:
        obj = json.loads(stripped)
        if isinstance(obj, dict):
            return obj
    except ValueError:
        pass
    ends = [i for i, ch in enumerate(text) if ch == "}"]
    for end in reversed(ends[-8:]):
        depth = 0
        for start in range(end, -1, -1):
            if text[start] == "}":
                depth += 1
            elif text[start] == "{":
                depth -= 1
                if depth == 0:
                    try:
                        obj = json.loads(text[start : end + 1])
                    except ValueError:
                        break
                    if isinstance(obj, dict):
                        return obj
                    break
    return None


def last_bracket_tag(text: str, tags: Mapping[str, str]) -> str | None:
    """Map the last ``[[tag]]`` in ``text`` whose content is a known tag (case and spaces ignored)."""
    lowered = {_norm(k): v for k, v in tags.items()}
    for match in reversed(list(_BRACKET.finditer(text))):
        found = lowered.get(_norm(match.group(1)))
        if found is not None:
            return found
    return None


def label_from_json(obj: Mapping[str, Any], field: str, labels: Iterable[str]) -> str | None:
    value = obj.get(field)
    if not isinstance(value, str):
        return None
    by_lower = {_norm(lab): lab for lab in labels}
    return by_lower.get(_norm(value))


def _norm(label: str) -> str:
    """Case and spaces do not change a label ("A >> B" is "A>>B", "Tie" is "tie")."""
    return re.sub(r"\s+", "", label).lower()


def number_from_json(obj: Mapping[str, Any], field: str, low: float, high: float) -> float | None:
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def last_bracket_number(text: str, low: float, high: float) -> float | None:
    """The last ``[[7]]`` / ``[[7.5]]`` in range."""
    for match in reversed(list(_BRACKET.finditer(text))):
        try:
            number = float(match.group(1))
        except ValueError:
            continue
        if low <= number <= high:
            return number
    return None


def label_probabilities(
    logprobs: Iterable[TokenLogprobs], token_labels: Mapping[str, str], field: str = "verdict"
) -> dict[str, float] | None:
    """Probability mass per label at the verdict token, renormalised over the labels.

    AlpacaEval 2's method. The verdict token is found in the generated text, not guessed: the
    first token of the value after ``"<field>": "`` (a JSON answer starts with ``{"reasoning"``,
    whose words may well be "A" or "a"), else the token after the last ``[[``, else, for a bare
    answer with neither, the first generated token that is a label. Returns None when there is no
    such position or no label among its alternatives (the caller keeps the discrete verdict).
    """
    positions = list(logprobs)
    index = _verdict_position(positions, token_labels, field)
    if index is None:
        return None
    mass: dict[str, float] = {}
    for token, lp in positions[index].top.items():
        label = token_label(token, token_labels)
        if label is not None:
            mass[label] = mass.get(label, 0.0) + math.exp(lp)
    total = sum(mass.values())
    if total <= 0:
        return None
    return {label: p / total for label, p in mass.items()}


def label_logprobs(
    logprobs: Iterable[TokenLogprobs], token_labels: Mapping[str, str], field: str = "verdict"
) -> dict[str, float] | None:
    """Log of the judge's probability mass per label at the verdict token (not renormalised).

    Found like :func:`label_probabilities`. A label absent from the top alternatives gets the
    smallest logprob among them: an upper bound on its true value, so a margin computed from it
    is never overstated. None when there is no verdict position or no label among its alternatives.
    """
    positions = list(logprobs)
    index = _verdict_position(positions, token_labels, field)
    if index is None or not positions[index].top:
        return None
    mass: dict[str, float] = {}
    for token, lp in positions[index].top.items():
        label = token_label(token, token_labels)
        if label is not None:
            mass[label] = mass.get(label, 0.0) + math.exp(lp)
    if not mass:
        return None
    floor = min(positions[index].top.values())
    return {label: math.log(mass[label]) if label in mass else floor for label in dict.fromkeys(token_labels.values())}


def token_label(token: str, token_labels: Mapping[str, str]) -> str | None:
    """The label a token stands for: an exact match, else a case-insensitive one, else a prefix
    of exactly one label token ("t" -> "tie"; "A" for "A>>B" and "A>B" is ambiguous -> None).

    Surrounding spaces and quotes are ignored (tokenizers often glue ``"`` or a space on).
    """
    key = token.strip().strip('"').strip()
    if not key:
        return None
    if key in token_labels:
        return token_labels[key]
    lowered = key.lower()
    exact = {t.lower(): lab for t, lab in token_labels.items()}
    if lowered in exact:
        return exact[lowered]
    starts = {lab for t, lab in token_labels.items() if t.lower().startswith(lowered)}
    return starts.pop() if len(starts) == 1 else None


def _verdict_position(positions: list[TokenLogprobs], token_labels: Mapping[str, str], field: str) -> int | None:
    starts: list[int] = []
    text = ""
    for p in positions:
        starts.append(len(text))
        text += p.token
    offset: int | None = None
    json_field = list(re.finditer(r'"' + re.escape(field) + r'"\s*:\s*"', text))
    if json_field:
        offset = json_field[-1].end()
    else:
        bracket = text.rfind("[[")
        if bracket >= 0:
            offset = bracket + 2
    if offset is None:
        for i, p in enumerate(positions):
            if token_label(p.token, token_labels) is not None:
                return i
        return None
    for i, start in enumerate(starts):
        end = start + len(positions[i].token)
        # The token that holds the label's first character (it may also hold the quote before it).
        if end > offset and token_label(positions[i].token, token_labels) is not None:
            return i
        if start >= offset and positions[i].token.strip():
            return None
    return None
