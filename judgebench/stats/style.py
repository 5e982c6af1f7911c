"""Style features for Bradley–Terry style control (after Chatbot Arena and Arena-Hard).

Judges reward long, heavily formatted answers. Style control adds per-game differences in style to
the Bradley–Terry regression so the ratings measure what is left once style is held equal. Two
features, each standardised over games (mean 0, sd 1) as Arena-Hard does:

* length: ``(L_a − L_b) / (L_a + L_b)`` in characters (0 when both are empty);
* markdown density: markdown elements (headers, list items, bold spans) per 1,000 characters,
  difference a − b. Density rather than a raw count so it does not duplicate the length feature.

A game whose lengths (or texts) are unknown gets 0 for that feature after standardising: the mean,
so it tells the fit nothing; the standardisation uses the known games only.
"""

from __future__ import annotations

import re

import numpy as np

_MARKDOWN = re.compile(
    r"^[ \t]{0,3}#{1,6}[ \t]"  # a header
    r"|^[ \t]*(?:[-*+]|\d+[.)])[ \t]+"  # a list item
    r"|\*\*[^*\n]+\*\*|__[^_\n]+__",  # a bold span
    re.MULTILINE,
)


def markdown_elements(text: str) -> int:
    """Number of headers, list items and bold spans in ``text`` (one pass of one pattern)."""
    return len(_MARKDOWN.findall(text))


def markdown_density(text: str) -> float:
    """Markdown elements per 1,000 characters (0 for an empty text)."""
    return 1000.0 * markdown_elements(text) / len(text) if text else 0.0


def _standardise(values: np.ndarray) -> np.ndarray:
    """z-scores over the finite values; NaN (unknown) and constant features become 0."""
    known = values[np.isfinite(values)]
    sd = float(np.std(known)) if known.size else 0.0
    if sd == 0.0:
        return np.zeros_like(values)
    return np.where(np.isfinite(values), (values - known.mean()) / sd, 0.0)


def style_features(
    length_a: np.ndarray, length_b: np.ndarray, density_a: np.ndarray, density_b: np.ndarray
) -> np.ndarray:
    """Standardised (length, markdown density) differences per game, shape (games, 2)."""
    total = length_a + length_b
    with np.errstate(invalid="ignore", divide="ignore"):
        length = np.where(total == 0, 0.0, (length_a - length_b) / total)
    density = density_a - density_b
    return np.column_stack([_standardise(length), _standardise(density)])
