"""Serialise data for a ``<script type="application/json">`` element.

The page embeds untrusted text (prompts, responses, judge reasoning). An HTML parser ends a
script element at the first ``</script`` whatever the JSON says, and ``<!--`` switches it into a
state where that end tag is missed; so every ``<``, ``>`` and ``&`` is written as a JSON unicode
escape, which ``JSON.parse`` reads back unchanged. U+2028/U+2029 are escaped too, for older
JavaScript engines and for editors that treat them as line breaks.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

_ESCAPES = [(c, f"\\u{ord(c):04x}") for c in "<>&\u2028\u2029"]
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def jsonable(value: Any) -> Any:
    """Replace NaN and infinities (pandas' "no value") by None, recursively.

    ``JSON.parse`` rejects the ``NaN`` that Python's json module writes by default.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return jsonable(value.item())
    return value


def script_json(value: Any) -> str:
    """JSON text that is safe between ``<script type="application/json">`` and ``</script>``.

    Lone surrogates (possible in decoded model output) are escaped as well, so the page is
    always valid UTF-8.
    """
    text = json.dumps(jsonable(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in _ESCAPES:  # str.replace runs in C; far faster than translate or re.sub here
        text = text.replace(char, escaped)
    try:
        text.encode("utf-8")  # the common case: no lone surrogate, and faster than searching
    except UnicodeEncodeError:
        text = _SURROGATE.sub(_escape, text)
    return text
