"""Statistics speed: 50 models × 1,000 prompts × 2 orders of synthetic judgments.

Times (1) every model's win rate with its 1,000-round bootstrap interval, from the judgments
frame, (2) Bradley–Terry over all models and the reference with 100 bootstrap rounds (plain,
and with style control) and (3) the whole ``build_leaderboard`` at its defaults (1,000 rounds,
LC 200, BT 200, 1,225 Holm-corrected paired comparisons). Prints seconds and the ratio to the
issues' targets (< 2 s, < 20 s, < 3 s), and records the numbers in benchmarks/RESULTS.md under
"Statistics speed" (other sections untouched).

    .venv/bin/python benchmarks/stats_speed.py [--no-record]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from judgebench.aggregate import build_leaderboard
from judgebench.stats import (
    StatsOptions,
    fit_bradley_terry,
    games_from_preferences,
    mean_intervals,
    per_prompt_preferences,
    preference_matrix,
)

N_MODELS, N_PROMPTS, ROUNDS, BT_ROUNDS = 50, 1000, 1000, 100
TARGET_WIN_RATES, TARGET_BT, TARGET_BOARD = 2.0, 20.0, 3.0
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## Statistics speed"
COMMAND = ".venv/bin/python benchmarks/stats_speed.py"


def synthetic(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judgments (models × prompts × orders) and responses with random lengths and some markdown."""
    rng = np.random.default_rng(seed)
    models = [f"model-{k:02d}" for k in range(N_MODELS)]
    prompts = [f"p{i:04d}" for i in range(N_PROMPTS)]
    strength = rng.uniform(0.2, 0.8, size=N_MODELS)
    m_idx, p_idx, o_idx = (a.ravel() for a in np.meshgrid(np.arange(N_MODELS), np.arange(N_PROMPTS), [0, 1], indexing="ij"))
    u = rng.random(m_idx.size)
    preference = np.where(u < 0.1, 0.5, (u < 0.1 + 0.9 * strength[m_idx]).astype(float))
    judgments = pd.DataFrame(
        {
            "model": np.array(models)[m_idx],
            "reference": "ref",
            "prompt_id": np.array(prompts)[p_idx],
            "category": np.where(p_idx % 2 == 0, "writing", "reasoning"),
            "order": np.array(["AB", "BA"])[o_idx],
            "sample": 0,
            "status": "ok",
            "preference": preference,
            "label": "",
            "score": np.nan,
            "reasoning": "",
            "flags": "",
        }
    )
    everyone = [*models, "ref"]
    rm, rp = (a.ravel() for a in np.meshgrid(np.arange(len(everyone)), np.arange(N_PROMPTS), indexing="ij"))
    lengths = rng.integers(100, 2000, size=rm.size)
    texts = [("# Title\n- item\n" if k % 3 == 0 else "") + "x" * int(n) for k, n in enumerate(lengths)]
    responses = pd.DataFrame(
        {
            "model": np.array(everyone)[rm],
            "prompt_id": np.array(prompts)[rp],
            "sample": 0,
            "status": "ok",
            "text": texts,
            "length": [len(t) for t in texts],
            "prompt_tokens": 50,
            "completion_tokens": lengths // 4,
        }
    )
    return judgments, responses


def timed(fn: Callable[[], Any], repeats: int = 3) -> float:
    """Best of ``repeats`` wall-clock runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def win_rate_intervals(judgments: pd.DataFrame) -> None:
    per_prompt = per_prompt_preferences(judgments)
    models = sorted(set(per_prompt["model"]))
    matrix = preference_matrix(judgments, per_prompt, "ref", models)
    mean_intervals(matrix.x, ROUNDS, seed=0, level=0.95)


def bradley_terry(judgments: pd.DataFrame, responses: pd.DataFrame, style: bool) -> None:
    games = games_from_preferences(per_prompt_preferences(judgments), responses, style)
    assert games is not None
    fit_bradley_terry(games, "ref", BT_ROUNDS, seed=0, level=0.95)


def record(lines: list[str]) -> None:
    """Append this run at the end of the "Statistics speed" section (created if missing).

    Other sections of RESULTS.md are left byte for byte as they are.
    """
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    run = "\n".join(lines) + "\n"
    match = re.search(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if match is None:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + run
    else:
        section = match.group(0).rstrip("\n") + "\n\n" + run
        rest = text[match.end() :]
        text = text[: match.start()] + section + ("\n" + rest if rest else "")
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    judgments, responses = synthetic()
    results = [
        (f"win rates + {ROUNDS}-round intervals, all {N_MODELS} models", timed(lambda: win_rate_intervals(judgments)), TARGET_WIN_RATES),
        (f"Bradley–Terry, {BT_ROUNDS} bootstrap rounds", timed(lambda: bradley_terry(judgments, responses, False)), TARGET_BT),
        (f"Bradley–Terry with style control, {BT_ROUNDS} rounds", timed(lambda: bradley_terry(judgments, responses, True), 1), TARGET_BT),
    ]
    options = StatsOptions()
    results.append((
        f"whole `build_leaderboard` (defaults: {options.rounds} rounds, LC {options.lc_rounds}, BT {options.bt_rounds}, "
        f"{N_MODELS * (N_MODELS - 1) // 2} paired comparisons)",
        timed(lambda: build_leaderboard(judgments, responses, [], {"suite": "bench", "references": ["ref"]}, options)),
        TARGET_BOARD,
    ))
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs (1-min load average {os.getloadavg()[0]:.1f} at the end), "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    lines = [
        f"`{COMMAND}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}.",
        f"Synthetic suite: {N_MODELS} models × {N_PROMPTS} prompts × 2 orders = {len(judgments):,} judgments; best of 3 runs (style control: 1).",
        "",
        "| what | seconds | target | time / target |",
        "|---|---|---|---|",
    ]
    for name, seconds, target in results:
        lines.append(f"| {name} | {seconds:.2f} | < {target:.0f} s | {seconds / target:.2f} |")
    print("\n".join(lines))
    if not args.no_record:
        record(lines)
        print(f"\nrecorded in {RESULTS}")
    return 0 if all(seconds < target for _, seconds, target in results) else 1


if __name__ == "__main__":
    sys.exit(main())
