"""The study's training arms: which public file each adapter is trained on, read into (prompt, response) pairs.

Kept free of torch so tests and the suite builder can import it cheaply. The files are the unchanged
public copies described in ``../shared/data/sft/README.md`` (FastChat conversations or Alpaca rows).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

# "Below is an instruction ... ### Instruction: X [### Input: Y] [### Response:]" -> X (+ Y)
_PREAMBLE = re.compile(
    r"^\s*Below is an instruction that describes a task(?:, paired with an input that provides further context)?\."
    r" Write a response that appropriately completes the request\.\s*(?:###\s*Instruction:)?\s*",
    re.S,
)
_INPUT = re.compile(r"\s*###\s*Input:\s*", re.S)
_RESPONSE = re.compile(r"\s*###\s*Response:\s*$", re.S)


@dataclass(frozen=True)
class Arm:
    """One adapter of the study: a training set and what the suite's `training:` block says of it."""

    name: str
    files: tuple[str, ...]
    curated: bool
    curation: str
    source: str  # citation for the data set


ARMS: dict[str, Arm] = {
    a.name: a
    for a in (
        Arm("lima-1k", ("fastchat_lima_1k.json",), True,
            "1,000 examples hand-curated for quality and diversity (LIMA)",
            "Zhou et al. 2023, LIMA: Less Is More for Alignment (GAIR/lima)"),
        Arm("alpagasus-1k", ("filtered_alpaca_1k_score.json",), True,
            "the 1,000 Alpaca examples a GPT judge scored highest (AlpaGasus-style)",
            "Chen et al. 2024, AlpaGasus; file from Zhao et al. 2024, Long Is More for Alignment"),
        Arm("alpaca-longest-1k", ("filtered_alpaca_1k_longest.json",), True,
            "the 1,000 Alpaca examples with the longest responses (a length heuristic)",
            "Zhao et al. 2024, Long Is More for Alignment (tml-epfl/long-is-more-for-alignment)"),
        Arm("alpaca-large", ("random_9k.json", "alpaca_5000.json"), False,
            "uncurated: random Alpaca-52k rows (AlpaGasus's random 9k plus a 5k sample, de-duplicated)",
            "Taori et al. 2023, Stanford Alpaca; samples from the AlpaGasus and stanford_alpaca repositories"),
    )
}


def clean_instruction(text: str) -> str:
    """The instruction without the Alpaca preamble, which the chat template replaces."""
    text = _PREAMBLE.sub("", text)
    text = _RESPONSE.sub("", text)
    return _INPUT.sub("\n\n", text).strip()


def _rows(path: Path) -> list[tuple[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []
    for row in data:
        if "conversations" in row:
            turns = row["conversations"]
            if len(turns) < 2 or turns[0].get("from") != "human" or turns[1].get("from") != "gpt":
                continue
            prompt, response = clean_instruction(turns[0]["value"]), turns[1]["value"].strip()
        else:
            prompt = row["instruction"].strip()
            if row.get("input"):
                prompt += "\n\n" + row["input"].strip()
            response = row["output"].strip()
        if prompt and response:
            out.append((prompt, response))
    return out


def load_arm(arm: Arm, data_dir: Path, limit: int | None = None, seed: int = 0) -> list[tuple[str, str]]:
    """The arm's (prompt, response) pairs: files pooled, exact duplicates dropped, shuffled with `seed`."""
    seen: set[tuple[str, str]] = set()
    pairs: list[tuple[str, str]] = []
    for name in arm.files:
        for pair in _rows(data_dir / name):
            if pair not in seen:
                seen.add(pair)
                pairs.append(pair)
    random.Random(seed).shuffle(pairs)
    return pairs[:limit] if limit else pairs


def data_fingerprint(arm: Arm, data_dir: Path) -> str:
    h = hashlib.sha256()
    for name in arm.files:
        h.update((data_dir / name).read_bytes())
    return h.hexdigest()[:16]
