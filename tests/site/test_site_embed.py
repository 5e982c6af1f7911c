"""The JSON-in-script serialiser: hostile strings round-trip and cannot end the element."""

from __future__ import annotations

import json
import math

import pytest
from site_samples import PAYLOADS

from judgebench.site.embed import jsonable, script_json

HOSTILE = [
    *PAYLOADS,
    "</SCRIPT >",
    "<!-- <script>",
    "\u2028\u2029",
    "emoji \U0001f600 and accents é ñ",
    "lone surrogate \ud800 end",
    "backslash \\u003c stays literal",
    "\x00\x1f control",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_round_trips(text: str) -> None:
    value = {"k<>&": [text, {"nested": text}], text: 1}
    assert json.loads(script_json(value)) == value


def test_output_cannot_close_or_comment_the_script_element() -> None:
    out = script_json({"t": HOSTILE})
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in out
    assert "\\u003c/script\\u003e" in out


def test_output_is_valid_utf8_even_with_lone_surrogates() -> None:
    script_json(["\udfff"]).encode("utf-8")  # would raise on a raw surrogate


def test_nan_and_infinity_become_null() -> None:
    assert json.loads(script_json({"a": math.nan, "b": [math.inf, -math.inf, 1.5]})) == {
        "a": None,
        "b": [None, None, 1.5],
    }


def test_jsonable_turns_numpy_scalars_into_python() -> None:
    np = pytest.importorskip("numpy")
    assert jsonable({"x": np.float64("nan"), "y": np.int64(3)}) == {"x": None, "y": 3}
