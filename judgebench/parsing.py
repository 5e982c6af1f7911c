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
    """Map the last ``[[tag]]`` in ``text`` whose content is a known tag (case-insensitive)."""
    lowered = {k.lower(): v for k, v in tags.items()}
    for match in reversed(list(_BRACKET.finditer(text))):
        found = lowered.get(match.group(1).strip().lower())
        if found is not None:
            return found
    return None


def label_from_json(obj: Mapping[str, Any], field: str, labels: Iterable[str]) -> str | None:
    value = obj.get(field)
    if not isinstance(value, str):
        return None
    by_lower = {lab.lower(): lab for lab in labels}
    return by_lower.get(value.strip().lower())


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


def label_probabilities(logprobs: Iterable[TokenLogprobs], token_labels: Mapping[str, str]) -> dict[str, float] | None:
    """Probability mass per label at the first position whose top alternatives include a label token.

    AlpacaEval 2's method: the judge's top-k logprobs at the verdict token, renormalised over
    the labels. Tokens are compared stripped and case-sensitively first, then case-insensitively.
    """
    for position in logprobs:
        mass: dict[str, float] = {}
        for token, lp in position.top.items():
            key = token.strip()
            label = token_labels.get(key)
            if label is None:
                label = {k.lower(): v for k, v in token_labels.items()}.get(key.lower())
            if label is not None:
                mass[label] = mass.get(label, 0.0) + math.exp(lp)
        if mass:
            total = sum(mass.values())
            return {label: p / total for label, p in mass.items()}
    return None
