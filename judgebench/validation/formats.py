"""Format name -> loader, for ``judgebench validate-judge --format`` (a registry, not a string switch)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from judgebench.errors import ConfigError
from judgebench.validation.loaders import (
    load_llmbar_pairs,
    load_llmbar_verdicts,
    load_pandalm_pairs,
    read_verdicts_jsonl,
)
from judgebench.validation.pairs import LabelledPair, RecordedVerdict, read_pairs_jsonl

PAIR_LOADERS: dict[str, Callable[[Path], list[LabelledPair]]] = {
    "jsonl": read_pairs_jsonl,
    "llmbar": load_llmbar_pairs,
    # LLMBar's Processed/MT-Bench (and FairEval, LLMEval^2) share LLMBar's format.
    "mt-bench": load_llmbar_pairs,
    "pandalm": load_pandalm_pairs,
}

VERDICT_LOADERS: dict[str, Callable[[Path], list[RecordedVerdict]]] = {
    "jsonl": read_verdicts_jsonl,
    "llmbar": load_llmbar_verdicts,
    "mt-bench": load_llmbar_verdicts,
}


T = TypeVar("T")


def _pick(registry: dict[str, T], fmt: str, what: str) -> T:
    try:
        return registry[fmt]
    except KeyError:
        raise ConfigError(
            f"Unknown {what} format {fmt!r}.", f"Use one of: {', '.join(sorted(registry))}."
        ) from None


def load_pairs(path: str | Path, format: str) -> list[LabelledPair]:
    """Read labelled pairs in one of :data:`PAIR_LOADERS`' formats."""
    return _pick(PAIR_LOADERS, format, "pairs")(Path(path))


def load_verdicts(path: str | Path, format: str) -> list[RecordedVerdict]:
    """Read recorded verdicts in one of :data:`VERDICT_LOADERS`' formats."""
    return _pick(VERDICT_LOADERS, format, "verdicts")(Path(path))
