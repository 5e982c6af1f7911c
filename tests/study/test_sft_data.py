"""The LIMA study's training arms read the public SFT files into clean (prompt, response) pairs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA

_spec = importlib.util.spec_from_file_location("sft_data", REPO / "examples" / "lima-study" / "sft_data.py")
assert _spec and _spec.loader
sft_data = importlib.util.module_from_spec(_spec)
sys.modules["sft_data"] = sft_data
_spec.loader.exec_module(sft_data)

SFT = SHARED_DATA / "sft"
needs_sft = pytest.mark.skipif(not SFT.is_dir(), reason=f"public SFT data not found at {SFT}")


def test_alpaca_preamble_is_stripped_and_input_kept() -> None:
    text = ("Below is an instruction that describes a task, paired with an input that provides further context. "
            "Write a response that appropriately completes the request. ### Instruction: Sum these. "
            "### Input: 2, 3 ### Response:")
    assert sft_data.clean_instruction(text) == "Sum these.\n\n2, 3"
    assert sft_data.clean_instruction("Plain question?") == "Plain question?"


def test_both_formats_pool_deduplicate_and_shuffle_deterministically(tmp_path: Path) -> None:
    fastchat = [{"id": str(i), "conversations": [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a{i}"}]}
                for i in range(5)]
    fastchat.append({"id": "bad", "conversations": [{"from": "human", "value": "no answer"}]})
    alpaca = [{"instruction": "q0", "input": "", "output": "a0"},  # duplicate of the FastChat row
              {"instruction": "q9", "input": "ctx", "output": "a9"}]
    (tmp_path / "a.json").write_text(json.dumps(fastchat))
    (tmp_path / "b.json").write_text(json.dumps(alpaca))
    arm = sft_data.Arm("t", ("a.json", "b.json"), False, "test", "test")
    pairs = sft_data.load_arm(arm, tmp_path, seed=3)
    assert sorted(pairs) == sorted([(f"q{i}", f"a{i}") for i in range(5)] + [("q9\n\nctx", "a9")])
    assert pairs == sft_data.load_arm(arm, tmp_path, seed=3)
    assert len(sft_data.load_arm(arm, tmp_path, limit=2)) == 2
    before = sft_data.data_fingerprint(arm, tmp_path)
    (tmp_path / "b.json").write_text(json.dumps(alpaca[:1]))
    assert sft_data.data_fingerprint(arm, tmp_path) != before


@needs_sft
@pytest.mark.parametrize("name", sorted(sft_data.ARMS))
def test_every_arm_reads_its_public_file(name: str) -> None:
    arm = sft_data.ARMS[name]
    pairs = sft_data.load_arm(arm, SFT)
    assert all(p and r for p, r in pairs)
    assert not any("Below is an instruction" in p for p, _ in pairs)
    if arm.curated:
        assert len(pairs) == 1000
    else:  # the large arm pools two random Alpaca samples, overlap removed
        assert len(pairs) > 9229
