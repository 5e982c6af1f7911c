"""Labelled pairs and recorded verdicts, and the user's JSONL pair format.

A pair is read in its own frame: ``"A"`` always means ``response_a``, whichever order a judge
was shown. Every verdict is stored in that frame, so metrics never need to know about swaps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from judgebench.errors import SuiteError


class PairsFileError(SuiteError):
    """A labelled-pairs or verdicts file is invalid; the message names the file and the field.

    (A SuiteError for the exit code and the callers that catch it, but never called a suite file.)
    """

    def __init__(self, path: object, field: str | None, problem: str, hint: str | None = None,
                 kind: str = "pairs file") -> None:
        super().__init__(path, field, problem, hint, kind)


Label = Literal["A", "B", "tie"]
Order = Literal["AB", "BA"]

LABELS: tuple[Label, ...] = get_args(Label)
ORDERS: tuple[Order, ...] = get_args(Order)


@dataclass(frozen=True)
class LabelledPair:
    """Two responses to one prompt with one human label per annotator (annotator i = ``labels[i]``)."""

    id: str
    prompt: str
    response_a: str
    response_b: str
    labels: tuple[Label, ...]


@dataclass(frozen=True)
class RecordedVerdict:
    """One judge verdict for one pair in one order, already read back into the pair's frame.

    ``order`` says what the judge was shown ("AB": ``response_a`` first). ``winner`` is None when
    the judge's answer could not be parsed: a failure is data, never a tie.
    """

    pair_id: str
    order: Order
    winner: Label | None


def _where(path: Path, lineno: int) -> str:
    return f"{path}:{lineno}"


def _text_field(row: dict[str, Any], name: str, path: Path, lineno: int) -> str:
    if name not in row:
        raise PairsFileError(
            _where(path, lineno),
            name,
            "the field is missing",
            'Each line needs "id", "prompt", "response_a", "response_b" and "label".',
        )
    value = row[name]
    if name == "id" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise PairsFileError(_where(path, lineno), name, f"expected a string, got {type(value).__name__}")
    return value


def _labels(row: dict[str, Any], path: Path, lineno: int) -> tuple[Label, ...]:
    if "label" not in row:
        raise PairsFileError(
            _where(path, lineno),
            "label",
            "the field is missing",
            'Give "A", "B" or "tie", or a list with one such label per annotator.',
        )
    raw = row["label"]
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise PairsFileError(
            _where(path, lineno),
            "label",
            "the list of labels is empty",
            "Give at least one annotator's label.",
        )
    for value in values:
        if value not in LABELS:
            raise PairsFileError(
                _where(path, lineno),
                "label",
                f"{value!r} is not a label",
                'Labels are "A" (response_a is better), "B" or "tie".',
            )
    return tuple(values)


def parse_pair(row: object, path: Path, lineno: int) -> LabelledPair:
    """Validate one decoded JSONL row; errors name the file, the line and the field."""
    if not isinstance(row, dict):
        raise PairsFileError(_where(path, lineno), None, f"expected a JSON object, got {type(row).__name__}")
    return LabelledPair(
        id=_text_field(row, "id", path, lineno),
        prompt=_text_field(row, "prompt", path, lineno),
        response_a=_text_field(row, "response_a", path, lineno),
        response_b=_text_field(row, "response_b", path, lineno),
        labels=_labels(row, path, lineno),
    )


def read_pairs_jsonl(path: str | Path) -> list[LabelledPair]:
    """Read ``{"id", "prompt", "response_a", "response_b", "label"}`` lines; blank lines are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise PairsFileError(path, None, "the file does not exist", "Check the path to the pairs file.") from None
    except UnicodeDecodeError as exc:
        raise PairsFileError(path, None, f"is not UTF-8 (bad byte at offset {exc.start})", "Save the file as UTF-8.") from None
    pairs: list[LabelledPair] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PairsFileError(
                _where(path, lineno),
                None,
                f"not valid JSON ({exc.msg})",
                "Each line must be one JSON object.",
            ) from None
        pair = parse_pair(row, path, lineno)
        if pair.id in seen:
            raise PairsFileError(
                _where(path, lineno),
                "id",
                f"duplicate id {pair.id!r} (first on line {seen[pair.id]})",
                "Give every pair a unique id.",
            )
        seen[pair.id] = lineno
        pairs.append(pair)
    if not pairs:
        raise PairsFileError(path, None, "the file holds no pairs", "Add one JSON object per line.")
    return pairs
