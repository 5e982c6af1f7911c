"""Loaders for public human-labelled pair sets and for verdicts other judges recorded on them.

* LLMBar (``Dataset/**/dataset.json``: input, output_1, output_2, label 1/2). The same format
  holds LLMBar's ``Processed`` sets: MT-Bench human pairs, FairEval and LLMEval^2.
* PandaLM (``testset-v1.json``: three annotators, 0 = tie, 1, 2).
* LLMBar judge outputs (``evaluators/<judge>/<strategy>/result.json``).
* Our own verdict JSONL (``{"id", "order", "winner"}``), for verdicts recorded elsewhere.

Pair ids are the row index in the file ("0", "1", ...), so a ``result.json`` (which repeats its
``dataset.json`` row by row) lines up with the pairs loaded from that ``dataset.json``. A folder
of several datasets prefixes the index with the dataset's folder ("LLMBar/Natural/0").
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from judgebench.validation.pairs import (
    LABELS,
    ORDERS,
    Label,
    LabelledPair,
    Order,
    PairsFileError,
    RecordedVerdict,
)

_LLMBAR_LABELS: dict[object, Label] = {1: "A", 2: "B"}
_LLMBAR_WINNERS: dict[object, Label | None] = {"1": "A", "2": "B", None: None}
_PANDALM_LABELS: dict[object, Label] = {0: "tie", 1: "A", 2: "B"}
_SWAP_KEYS: dict[Order, str] = {"AB": "swap = False", "BA": "swap = True"}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PairsFileError(path, None, "the file does not exist", "Check the path.") from None
    except UnicodeDecodeError as exc:
        raise PairsFileError(path, None, f"is not UTF-8 (bad byte at offset {exc.start})", "Save the file as UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise PairsFileError(path, None, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None


def _rows(path: Path) -> list[dict[str, Any]]:
    data = _read_json(path)
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise PairsFileError(path, None, "expected a JSON list of objects")
    return data


def _field(row: dict[str, Any], name: str, path: Path, index: int) -> Any:
    if name not in row:
        raise PairsFileError(path, f"[{index}].{name}", "the field is missing")
    return row[name]


def _mapped(mapping: dict[object, Label], row: dict[str, Any], name: str, path: Path, index: int) -> Label:
    value = _field(row, name, path, index)
    if value not in mapping or isinstance(value, bool):
        allowed = ", ".join(repr(k) for k in mapping)
        raise PairsFileError(path, f"[{index}].{name}", f"{value!r} is not one of {allowed}")
    return mapping[value]


def _llmbar_file(path: Path, prefix: str) -> list[LabelledPair]:
    return [
        LabelledPair(
            id=f"{prefix}{i}",
            prompt=_field(row, "input", path, i),
            response_a=_field(row, "output_1", path, i),
            response_b=_field(row, "output_2", path, i),
            labels=(_mapped(_LLMBAR_LABELS, row, "label", path, i),),
        )
        for i, row in enumerate(_rows(path))
    ]


def load_llmbar_pairs(path: str | Path) -> list[LabelledPair]:
    """One LLMBar-format ``dataset.json`` (or ``result.json``), or every ``dataset.json`` under a folder."""
    path = Path(path)
    if not path.is_dir():
        return _llmbar_file(path, "")
    files = sorted(p for p in path.glob("**/dataset.json") if "evaluators" not in p.relative_to(path).parts)
    if not files:
        raise PairsFileError(path, None, "no dataset.json under this folder", "Point at LLMBar's Dataset folder.")
    pairs: list[LabelledPair] = []
    for file in files:
        folder = file.parent.relative_to(path).as_posix()
        pairs.extend(_llmbar_file(file, "" if folder == "." else f"{folder}/"))
    return pairs


def load_pandalm_pairs(path: str | Path) -> list[LabelledPair]:
    """PandaLM's test set: three annotators each. A non-empty ``input`` belongs to the prompt."""
    path = Path(path)
    pairs = []
    for i, row in enumerate(_rows(path)):
        instruction = _field(row, "instruction", path, i)
        extra = row.get("input") or ""
        pairs.append(
            LabelledPair(
                id=str(row.get("idx", i)),
                prompt=f"{instruction}\n\n{extra}" if extra else instruction,
                response_a=_field(row, "response1", path, i),
                response_b=_field(row, "response2", path, i),
                labels=tuple(_mapped(_PANDALM_LABELS, row, f"annotator{k}", path, i) for k in (1, 2, 3)),
            )
        )
    return pairs


def _results(row: dict[str, Any], path: Path, index: int) -> dict[str, Any]:
    raw = _field(row, "results", path, index)
    if isinstance(raw, str):
        # LLMBar stored some results as Python reprs; literal_eval reads literals and nothing else.
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raise PairsFileError(path, f"[{index}].results", "not a Python literal", kind="verdicts file") from None
    if not isinstance(raw, list) or not raw or not isinstance(raw[-1], dict):
        raise PairsFileError(path, f"[{index}].results", "expected a non-empty list of result objects", kind="verdicts file")
    # Multi-step strategies (Swap_CoT, Metrics) append their final verdict last.
    return raw[-1]


def load_llmbar_verdicts(path: str | Path) -> list[RecordedVerdict]:
    """Both orders' verdicts from an LLMBar ``result.json``, in the pair's own frame.

    LLMBar's ``evaluate.py`` already maps the swapped run's winner back (``reverse_label``) before
    saving, so ``"1"`` means ``output_1`` in both entries; we only rename 1/2 to A/B. A winner of
    ``null`` (a refusal or unparseable answer) stays a parse failure.
    """
    path = Path(path)
    verdicts = []
    for i, row in enumerate(_rows(path)):
        result = _results(row, path, i)
        for order, key in _SWAP_KEYS.items():
            entry = result.get(key)
            if not isinstance(entry, dict) or "winner" not in entry:
                raise PairsFileError(path, f"[{i}].results.{key}", "missing the verdict entry or its winner", kind="verdicts file")
            winner = entry["winner"]
            if winner not in _LLMBAR_WINNERS:
                raise PairsFileError(path, f"[{i}].results.{key}.winner", f"{winner!r} is not '1', '2' or null", kind="verdicts file")
            verdicts.append(RecordedVerdict(str(i), order, _LLMBAR_WINNERS[winner]))
    return verdicts


def read_verdicts_jsonl(path: str | Path) -> list[RecordedVerdict]:
    """``{"id", "order": "AB"|"BA", "winner": "A"|"B"|"tie"|null}`` lines, winner in the pair's frame."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise PairsFileError(
            path, None, "the file does not exist", "Check the path to the verdicts file.", kind="verdicts file"
        ) from None
    except UnicodeDecodeError as exc:
        raise PairsFileError(path, None, f"is not UTF-8 (bad byte at offset {exc.start})", "Save the file as UTF-8.",
                             kind="verdicts file") from None
    verdicts = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PairsFileError(where, None, f"not valid JSON ({exc.msg})", kind="verdicts file") from None
        if not isinstance(row, dict):
            raise PairsFileError(where, None, "expected a JSON object", kind="verdicts file")
        pair_id, order, winner = row.get("id"), row.get("order"), row.get("winner")
        if isinstance(pair_id, int) and not isinstance(pair_id, bool):
            pair_id = str(pair_id)
        if not isinstance(pair_id, str):
            raise PairsFileError(where, "id", "expected a string id", kind="verdicts file")
        if order not in ORDERS:
            raise PairsFileError(
                where, "order", f"{order!r} is not 'AB' or 'BA'", '"AB" means response_a was shown first.',
                kind="verdicts file")
        if winner is not None and winner not in LABELS:
            raise PairsFileError(
                where,
                "winner",
                f"{winner!r} is not 'A', 'B', 'tie' or null",
                "Give the winner in the pair's own frame; null records a parse failure.",
                kind="verdicts file",
            )
        verdicts.append(RecordedVerdict(pair_id, order, winner))
    return verdicts
