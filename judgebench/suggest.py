""""Did you mean ...?": the closest known name to one a user mistyped, and the one unknown-name error.

One place, so a typo in a suite key, a model name on the command line or a reference gets the
same help everywhere (pip and ruff do this; a list of twenty names is not a fix).
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from judgebench.errors import ConfigError

__all__ = ["closest", "did_you_mean", "unknown_name"]


def closest(word: object, choices: Iterable[str]) -> str | None:
    """The known name most like ``word``, or None when none is close (difflib ratio >= 0.6)."""
    options = [c for c in choices if c]
    text = str(word)
    folded = {c.lower(): c for c in options}
    if text.lower() in folded:  # a case slip: `Alpha` for `alpha`
        return folded[text.lower()]
    found = get_close_matches(text, options, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``"did you mean `x`?"`` for the closest choice, or "" when nothing is close."""
    match = closest(word, choices)
    return f"did you mean `{match}`?" if match is not None and match != str(word) else ""


def unknown_name(kind: str, name: str, names: Iterable[str], suite: str, role: str | None = None) -> ConfigError:
    """``'x' is not a model of suite 's'`` (or ``The candidate 'x' is not a model of ...``) with the
    closest name first, then every name."""
    known = list(names)
    hint = did_you_mean(name, known)
    listing = f"{kind.capitalize()}s of the suite: {', '.join(known)}." if known else "The suite has none."
    problem = (f"The {role} {name!r} is not a {kind} of suite {suite!r}." if role
               else f"{name!r} is not a {kind} of suite {suite!r}.")
    return ConfigError(problem, f"{hint[0].upper() + hint[1:]} {listing}" if hint else listing)
