"""Readers of judgments published by other tools; pure (no store writes)."""

from judgebench.importers.alpaca_eval import (
    AlpacaEvalAnnotations,
    AlpacaEvalJudgment,
    AlpacaEvalOutput,
    AlpacaEvalPrompt,
    prompt_id,
    read_alpaca_eval,
    to_frames,
)

__all__ = [
    "AlpacaEvalAnnotations",
    "AlpacaEvalJudgment",
    "AlpacaEvalOutput",
    "AlpacaEvalPrompt",
    "prompt_id",
    "read_alpaca_eval",
    "to_frames",
]
