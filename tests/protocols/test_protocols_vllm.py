"""The pairwise and single protocols through the real vLLM CPU server and the embedded SmolLM2.

A 135M-parameter judge is no good judge: these tests check the plumbing (structured verdicts
parsed, orders undone, logprob weighting read from a real tokenizer's tokens, single grades in
range), never the quality of its verdicts. Two prompts, short answers: CI has two cores.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import NEEDS_VLLM
from tests.protocols.conftest import judgments_frame, run_suite

pytestmark = NEEDS_VLLM

BUILTIN = "builtin:smollm2-135m-instruct"
SERVER = {"max_model_len": 2048}
PROMPTS = [
    {"id": "v1", "prompt": "What is the capital of France?"},
    {"id": "v2", "turns": ["Name a colour.", "Why did you pick it?"]},
]


def _suite(tmp: Path, judge: dict[str, Any]) -> Path:
    (tmp / "prompts.jsonl").write_text("\n".join(json.dumps(p) for p in PROMPTS) + "\n")
    models = [
        {"name": "smol", "provider": "vllm", "model": BUILTIN, "server": SERVER},
        {"name": "ref", "provider": "vllm", "model": BUILTIN, "server": SERVER,
         "system_prompt": "Answer in one short sentence."},
    ]
    suite = {
        "name": "vllm-protocols", "prompts": "prompts.jsonl",
        "generation": {"max_tokens": 24, "temperature": 0.0},
        "models": models, "reference": "ref",
        "judge": {"provider": "vllm", "model": BUILTIN, "server": SERVER, "max_tokens": 160,
                  "concurrency": 4, "max_parse_retries": 0} | judge,
    }
    path = tmp / "suite.yaml"
    path.write_text(json.dumps(suite))  # JSON is YAML
    return path


def test_pairwise_with_logprobs_on_the_real_server(tmp_path: Path) -> None:
    suite = _suite(tmp_path, {"rubric": "pairwise", "logprobs": True})
    board = run_suite(suite, tmp_path)
    frame = judgments_frame(suite, tmp_path)
    assert len(frame) == len(PROMPTS) * 2 and set(frame["order"]) == {"AB", "BA"}
    assert set(frame["status"]) <= {"ok", "parse_failure"}, frame[["status", "label"]]
    ok = frame[frame["status"] == "ok"]
    assert len(ok) >= 1, "structured output should give at least one parseable verdict"
    assert set(ok["label"]) <= {"A", "B", "tie"}
    assert ok["preference"].between(0, 1).all()
    # Logprob weighting read the verdict token's alternatives: the weighted preference is not the
    # discrete one (a real model never puts all its mass on one label).
    discrete = ok.apply(lambda r: {"A": 1.0, "B": 0.0, "tie": 0.5}[r["label"]], axis=1)
    discrete = discrete.where(ok["order"] == "AB", 1 - discrete)
    assert (abs(ok["preference"] - discrete) < 0.5).all()  # the weighted mass still leans the chosen way
    assert (~ok["preference"].isin([0.0, 0.5, 1.0])).any(), "logprob weighting gave only discrete preferences"
    row = next(r for r in board["rows"] if r["model"] == "smol")
    assert row["n_judgments"] == len(PROMPTS) * 2 and row["n_errors"] == 0


def test_single_grades_on_the_real_server(tmp_path: Path) -> None:
    suite = _suite(tmp_path, {"rubric": "single"})
    board = run_suite(suite, tmp_path)
    frame = judgments_frame(suite, tmp_path)
    assert len(frame) == len(PROMPTS) * 2  # both models graded, the reference too
    assert set(frame["status"]) <= {"ok", "parse_failure"}
    ok = frame[frame["status"] == "ok"]
    assert len(ok) >= 1 and ok["score"].between(1, 10).all()
    assert {r["reference"] for r in board["rows"]} == {""}
