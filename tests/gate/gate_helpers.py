"""Suites whose outcome is built into the models: a loopback server answers by the served model name.

Generation: the served model name says how long the answer is -- ``long`` (12 words), ``short``
(1), ``medium`` (5, the reference), ``even``/``odd`` (long on even/odd question numbers, short
otherwise). A name containing ``garble`` marks its even-numbered answers, and the judge answers
anything showing such an answer with text that is not a verdict (a parse failure). Otherwise the
judge is the server's default: the longer response wins.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

from judgebench.testing.openai_server import default_responder
from tests.conftest import write_suite

WORDS = {"long": 12, "short": 1, "medium": 5}
GARBLE = "GARBLE"


def n_words(served: str, question: int) -> int:
    kind = served.split("-")[0]
    if kind == "even":
        return 12 if question % 2 == 0 else 1
    if kind == "odd":
        return 1 if question % 2 == 0 else 12
    return WORDS[kind]


def responder(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    if body.get("response_format"):
        if GARBLE in str(messages[-1].get("content", "")):
            return "I would rather not say."
        return default_responder(body)
    served = str(body["model"])
    match = re.search(r"Question (\d+)", json.dumps(messages))
    assert match, messages
    q = int(match.group(1))
    text = " ".join(["word"] * n_words(served, q))
    if "garble" in served and q % 2 == 0:
        text = f"{GARBLE} {text}"
    return text


def prompts(n: int) -> list[dict[str, Any]]:
    return [{"id": f"q{i}", "prompt": f"Question {i}: say something."} for i in range(n)]


def gate_suite(tmp: Path, base_url: str, candidate: str, baseline: str, *, n: int = 8, gate: str = "",
               judge: dict[str, Any] | None = None, candidate_url: str | None = None) -> Path:
    """Models ``cand`` (served as ``candidate``), ``base`` (``baseline``) and the reference ``ref``."""
    cand: dict[str, Any] = {"name": "cand", "model": candidate, "timeout": 60}
    if candidate_url:
        cand["base_url"] = candidate_url
    models = [cand, {"name": "base", "model": baseline, "timeout": 60}, {"name": "ref", "model": "medium", "timeout": 60}]
    extra = "gate: {rounds: 200" + (", " + gate if gate else "") + "}\n"
    return write_suite(tmp, base_url, models=models, prompts=prompts(n), extra=extra,
                       judge={"max_parse_retries": 0, "timeout": 60} | (judge or {}))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
