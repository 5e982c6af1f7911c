"""Format name -> loader (a registry, not a string switch), and the format read from a file's content.

``auto`` (the default) looks at what the file holds, never at its name or folder: a JSON list of
``input/output_1/output_2/label`` objects is LLMBar's format (LLMBar's ``Processed/LLMEval^2``
included), ``instruction/response1/response2/annotator1`` is PandaLM's, a list of objects with
``results`` is LLMBar's judge outputs, and one JSON object per line is our JSONL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from judgebench.errors import ConfigError
from judgebench.validation.loaders import (
    load_llmbar_pairs,
    load_llmbar_verdicts,
    load_pandalm_pairs,
    read_verdicts_jsonl,
)
from judgebench.validation.pairs import LabelledPair, PairsFileError, RecordedVerdict, read_pairs_jsonl

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


_SIGNATURES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"input", "output_1", "output_2", "results"}), "llmbar-verdicts"),
    (frozenset({"input", "output_1", "output_2", "label"}), "llmbar"),
    (frozenset({"instruction", "response1", "response2", "annotator1"}), "pandalm"),
    (frozenset({"id", "prompt", "response_a", "response_b"}), "jsonl"),
    (frozenset({"id", "order", "winner"}), "jsonl-verdicts"),
)


def _first_row(path: Path) -> tuple[str, Any]:
    """("list", first item) for a JSON list, ("lines", first object) for JSON Lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PairsFileError(path, None, "the file does not exist", "Check the path.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PairsFileError(path, None, f"cannot be read as UTF-8 text ({e})") from None
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except ValueError as e:
            raise PairsFileError(path, None, f"starts like a JSON list but is not valid JSON ({e})") from None
        return "list", data[0] if isinstance(data, list) and data else None
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        return "lines", json.loads(line)
    except ValueError:
        return "lines", None


def detect_format(path: str | Path) -> str:
    """The format of a pairs or verdicts file, from its content (a folder: LLMBar datasets)."""
    path = Path(path)
    if path.is_dir():
        return "llmbar"
    shape, row = _first_row(path)
    keys = frozenset(row) if isinstance(row, dict) else frozenset()
    for needed, fmt in _SIGNATURES:
        if needed <= keys and (shape == "lines") == fmt.startswith("jsonl"):
            return fmt
    what = "a JSON list" if shape == "list" else "JSON Lines" if isinstance(row, dict) else "neither JSON nor JSON Lines"
    raise PairsFileError(
        path, None, f"its format is not recognised ({what}; first object's keys: {', '.join(sorted(keys)) or 'none'})",
        "Labelled pairs: LLMBar (input, output_1, output_2, label), PandaLM (instruction, response1, response2, "
        "annotator1..3) or JSONL lines of id, prompt, response_a, response_b, label. Or pass --format.",
    )


def load_pairs(path: str | Path, format: str = "auto") -> list[LabelledPair]:
    """Read labelled pairs in one of :data:`PAIR_LOADERS`' formats, or the one the content shows."""
    if format == "auto":
        format = detect_format(path)
        if format.endswith("verdicts"):
            raise PairsFileError(path, None, "this file holds a judge's verdicts, not labelled pairs",
                                 "Pass the dataset.json beside the evaluators/ folder as the pairs.")
    return _pick(PAIR_LOADERS, format, "pairs")(Path(path))


def load_verdicts(path: str | Path, format: str = "auto") -> list[RecordedVerdict]:
    """Read recorded verdicts in one of :data:`VERDICT_LOADERS`' formats, or the one the content shows."""
    if format == "auto":
        format = {"llmbar-verdicts": "llmbar", "jsonl-verdicts": "jsonl"}.get(detect_format(path), "")
        if not format:
            raise PairsFileError(path, None, "this file holds labelled pairs, not a judge's verdicts",
                                 "Pass LLMBar's evaluators/<judge>/<strategy>/result.json or verdict JSONL.",
                                 kind="verdicts file")
    return _pick(VERDICT_LOADERS, format, "verdicts")(Path(path))
