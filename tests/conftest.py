"""Shared fixtures: a real loopback OpenAI-compatible server and suite files written in tmp_path."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer

REPO = Path(__file__).resolve().parents[1]

NEEDS_VLLM = [
    pytest.mark.vllm,
    pytest.mark.skipif(
        importlib.util.find_spec("vllm") is None,
        reason="vLLM is not installed (`make test` installs the CPU build: scripts/setup.sh)",
    ),
]
"""``pytestmark`` for modules that run the real vLLM CPU server."""
SHARED_DATA = Path(os.environ.get("JUDGEBENCH_DATA") or REPO.parent / "shared" / "data")
"""The public datasets the data tests read (never copied into the repo): ``$JUDGEBENCH_DATA``, else
``../shared/data`` beside the clone. See the README, "Tests and the public data"."""

PROMPTS = [
    {"id": "p1", "prompt": "What is 2+2?", "category": "math"},
    {"id": "p2", "prompt": "Write a haiku about rain.", "category": "writing"},
    {"id": "p3", "turns": ["Name a colour.", "Why that one?"], "category": "chat"},
    {"id": "p4", "prompt": "Explain recursion briefly.", "category": "coding"},
    {"id": "p5", "prompt": "Give me a tip for sleeping well.", "category": "advice"},
    {"id": "p6", "prompt": "Translate 'hello' into French.", "category": "writing"},
]


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def write_suite(tmp: Path, base_url: str, *, models: list[dict[str, Any]] | None = None,
                judge: dict[str, Any] | None = None, extra: str = "", prompts: list[dict[str, Any]] | None = None,
                name: str = "t") -> Path:
    """A small suite against ``base_url``: two models and a reference, fast retries."""
    (tmp / "prompts.jsonl").write_text("\n".join(json.dumps(p) for p in (prompts or PROMPTS)) + "\n")
    models = models or [
        {"name": "small", "model": "small"},
        {"name": "large-model", "model": "large-model-xxl"},
        {"name": "ref", "model": "ref"},
    ]
    lines = [f"name: {name}", "prompts: prompts.jsonl", "generation: {max_tokens: 64, temperature: 0.0}",
             "retry: {attempts: 8, initial_wait: 0.01, max_wait: 0.1, deadline: 30}", "models:"]
    for m in models:
        entry = {"provider": "openai", "base_url": base_url, "timeout": 2} | m
        lines.append(f"  - {json.dumps(entry)}")
    lines.append("reference: ref")
    lines.append("judge: " + json.dumps({"provider": "openai", "model": "judge", "base_url": base_url, "timeout": 2}
                                        | (judge or {})))
    path = tmp / "suite.yaml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")} | (env or {})
    if cwd is None:  # default: the suite's folder, so default outputs land in the test's tmp_path
        cwd = next((Path(a).parent for a in args if a.endswith((".yaml", ".yml"))), None)
    return subprocess.run([sys.executable, "-m", "judgebench", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
