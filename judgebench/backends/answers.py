"""Reading a chat-completions body by its shape: an endpoint's answer is untrusted data.

Whatever comes back -- a list where an object belongs, ``usage.prompt_tokens: 1e999`` or
``10**30``, a lone surrogate (``"\\ud800"``, which no UTF-8 store can hold), ``content`` given as a
list of parts -- this module either returns a normalised :class:`Completion` or raises
:class:`TransientBackendError` ("malformed answer"), which the retry policy and the engine turn
into an error row. It never lets a ``TypeError``, ``OverflowError`` or ``UnicodeEncodeError``
escape into the run.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from judgebench.backends.base import TransientBackendError
from judgebench.records import Completion, TokenLogprobs, Usage

MAX_USAGE_TOKENS = 10**9
"""A token count above this is no count (SQLite integers stop at 2**63; no answer is this long)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, so it can be encoded and stored."""
    return _SURROGATE.sub("\ufffd", text)


class Malformed(TransientBackendError):
    """The body is not a chat completion (retried like any malformed answer)."""


def _content(message: Any) -> str:
    if message is None:
        return ""
    if not isinstance(message, dict):
        raise Malformed(f"`choices[0].message` is {type(message).__name__}, not an object")
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return clean_text(content)
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
        texts: list[str] = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, dict) and part.get("type") not in (None, "text"):
                continue  # images, audio...: not text a judge can read
            else:
                raise Malformed("`choices[0].message.content` holds a part that is not text")
        return clean_text("".join(texts))
    raise Malformed(f"`choices[0].message.content` is {type(content).__name__}, not text")


def _count(usage: dict[str, Any], name: str) -> int:
    value = usage.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"`usage.{name}` is {type(value).__name__}, not a token count")
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise Malformed(f"`usage.{name}` is {value!r}, not a token count")
    if not 0 <= value <= MAX_USAGE_TOKENS:
        raise Malformed(f"`usage.{name}` is {'negative' if value < 0 else 'absurdly large'}, not a token count")
    return int(value)


def _usage(body: dict[str, Any]) -> Usage:
    usage = body.get("usage")
    if usage is None:
        return Usage()
    if not isinstance(usage, dict):
        raise Malformed(f"`usage` is {type(usage).__name__}, not an object")
    return Usage(_count(usage, "prompt_tokens"), _count(usage, "completion_tokens"))


def _logprobs(choice: dict[str, Any]) -> tuple[TokenLogprobs, ...] | None:
    """Top logprobs per position; a malformed block is dropped (the verdict is then read from text)."""
    lp = choice.get("logprobs")
    if not isinstance(lp, dict) or not isinstance(lp.get("content"), list) or not lp["content"]:
        return None
    out: list[TokenLogprobs] = []
    for item in lp["content"]:
        if not isinstance(item, dict) or not isinstance(item.get("token", ""), str):
            return None
        top: dict[str, float] = {}
        alts = item.get("top_logprobs") or []
        if not isinstance(alts, list):
            return None
        for t in alts:
            if not isinstance(t, dict) or not isinstance(t.get("token"), str):
                return None
            value = t.get("logprob")
            if isinstance(value, float) and math.isfinite(value) and value <= 0:
                top[clean_text(t["token"])] = value
            elif isinstance(value, int) and not isinstance(value, bool) and -10**6 < value <= 0:
                top[clean_text(t["token"])] = float(value)
        out.append(TokenLogprobs(token=clean_text(item.get("token", "")), top=top))
    return tuple(out)


def parse_answer(text: str) -> Completion:
    """A Completion from a raw chat-completions body, or Malformed."""
    try:
        body = json.loads(text)
    except ValueError:
        raise Malformed(f"malformed response body (not JSON): {clean_text(text[:120])!r}") from None
    except RecursionError:
        raise Malformed("malformed response body (nested too deeply)") from None
    if not isinstance(body, dict):
        raise Malformed(f"malformed response body: a JSON {type(body).__name__}, not an object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise Malformed("malformed response body: no `choices` list")
    choice = choices[0]
    if not isinstance(choice, dict):
        raise Malformed(f"malformed response body: `choices[0]` is {type(choice).__name__}, not an object")
    finish = choice.get("finish_reason")
    return Completion(
        text=_content(choice.get("message")),
        usage=_usage(body),
        finish_reason=clean_text(finish)[:64] if isinstance(finish, str) else None,
        logprobs=_logprobs(choice),
    )
