"""Shared builders for the statistics tests: tiny judgments/responses frames and model doubles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import SHARED_DATA as DATA  # noqa: F401  (re-exported for the stats tests)

JUDGMENT_DEFAULTS: dict[str, Any] = {
    "category": "",
    "order": "AB",
    "sample": 0,
    "status": "ok",
    "label": "",
    "score": np.nan,
    "reasoning": "",
    "flags": "",
}


@dataclass(frozen=True)
class Training:
    dataset: str | None = None
    examples: int | None = None
    curated: bool | None = None
    base_model: str | None = None


@dataclass(frozen=True)
class Model:
    name: str
    is_reference: bool = False
    is_canary: bool = False
    training: Training | None = None


def judgments_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A judgments frame from partial rows (model, reference, prompt_id, preference at least)."""
    full = [{**JUDGMENT_DEFAULTS, **row} for row in rows]
    for row in full:
        if row["status"] != "ok":
            row["preference"] = np.nan
    return pd.DataFrame(full)


def responses_frame(lengths: dict[tuple[str, str], int], text: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """A responses frame from {(model, prompt_id): length} (text of that length unless given)."""
    rows = []
    for (model, pid), n in lengths.items():
        body = (text or {}).get((model, pid), "x" * n)
        rows.append(
            {
                "model": model,
                "prompt_id": pid,
                "sample": 0,
                "status": "ok",
                "text": body,
                "length": len(body),
                "prompt_tokens": 10,
                "completion_tokens": len(body) // 4,
            }
        )
    return pd.DataFrame(rows)


def synthetic_suite(
    strengths: dict[str, float],
    n_prompts: int,
    seed: int = 0,
    reference: str = "ref",
    orders: tuple[str, ...] = ("AB", "BA"),
    categories: tuple[str, ...] = ("writing", "math"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judgments where model m wins each judgment with probability strengths[m] (ties 10%)."""
    rng = np.random.default_rng(seed)
    rows = []
    lengths: dict[tuple[str, str], int] = {}
    for i in range(n_prompts):
        pid = f"p{i:04d}"
        lengths[(reference, pid)] = int(rng.integers(200, 800))
        for model, p in strengths.items():
            lengths[(model, pid)] = int(rng.integers(200, 800))
            for order in orders:
                u = rng.random()
                x = 0.5 if u < 0.1 else float(u < 0.1 + 0.9 * p)
                rows.append(
                    {
                        "model": model,
                        "reference": reference,
                        "prompt_id": pid,
                        "category": categories[i % len(categories)],
                        "order": order,
                        "preference": x,
                        "label": "tie" if x == 0.5 else ("A" if (x == 1.0) == (order == "AB") else "B"),
                    }
                )
    return judgments_frame(rows), responses_frame(lengths)


def consistent_suite(strengths: dict[str, float], n_prompts: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judgments whose two orders agree (a position-consistent judge), from synthetic_suite."""
    judgments, responses = synthetic_suite(strengths, n_prompts, seed=seed)
    ab = judgments[judgments["order"] == "AB"].set_index(["model", "prompt_id"])["preference"]
    ba = judgments["order"] == "BA"
    keys = pd.MultiIndex.from_frame(judgments.loc[ba, ["model", "prompt_id"]])
    judgments.loc[ba, "preference"] = ab.reindex(keys).to_numpy()
    return judgments, responses
