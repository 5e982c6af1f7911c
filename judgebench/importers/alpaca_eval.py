"""Reader of AlpacaEval annotation files (``annotations.json`` / ``ae1_annotations/<model>.json``).

Each file is a JSON list of rows ``{instruction, dataset, output_1, generator_1, output_2,
generator_2, annotator, preference, ...}`` where ``output_1`` is the reference's answer (by
``generator_1``) and ``output_2`` the model's (by ``generator_2``). ``preference`` is 1 (reference
wins), 2 (model wins), anything in between (a probability, AlpacaEval 2), 0 (legacy code for a
draw, = 1.5) or null (the judge's answer could not be parsed). AlpacaEval has already undone its
order randomisation, so the order each judgment was shown in is unknown.

The reader returns plain frozen dataclasses and never touches the store; :func:`to_frames` turns
them into the judgments and responses frames of docs/CONTRACTS.md (order "" = unknown, so position
consistency is None), which is what the statistics and the store importer consume.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from judgebench.errors import ConfigError
from judgebench.paths import UnsafePath, read_regular

MAX_ANNOTATION_BYTES = 256 << 20
"""An AlpacaEval annotation file for one model is about 2 MB; a FIFO or /dev/zero never ends."""
_HINT = "Pass AlpacaEval annotation files: JSON lists of rows with instruction, output_1, output_2, preference."


@dataclass(frozen=True)
class AlpacaEvalPrompt:
    """One instruction. ``id`` is :func:`prompt_id` of the text; ``category`` is its ``dataset``."""

    id: str
    text: str
    category: str


@dataclass(frozen=True)
class AlpacaEvalOutput:
    """The answer of ``model`` (a model or the reference) to prompt ``prompt_id``."""

    model: str
    prompt_id: str
    text: str


@dataclass(frozen=True)
class AlpacaEvalJudgment:
    """One annotation: ``model`` against ``reference`` on ``prompt_id``.

    preference: x ∈ [0, 1] that the model beats the reference (= raw − 1; legacy 0 → ½), or None
    when the judge's answer was not parsed (status "parse_failure"). raw: the file's value.
    """

    model: str
    reference: str
    prompt_id: str
    preference: float | None
    raw: float | None
    annotator: str

    @property
    def status(self) -> str:
        return "ok" if self.preference is not None else "parse_failure"


@dataclass(frozen=True)
class AlpacaEvalAnnotations:
    """Everything read from one or more annotation files, deduplicated.

    prompts: in order of first appearance; references: the ``generator_1`` names; models: the
    ``generator_2`` names; outputs: one per (model or reference, prompt); judgments: one per row.
    """

    prompts: tuple[AlpacaEvalPrompt, ...]
    references: tuple[str, ...]
    models: tuple[str, ...]
    outputs: tuple[AlpacaEvalOutput, ...]
    judgments: tuple[AlpacaEvalJudgment, ...]


def prompt_id(instruction: str) -> str:
    """Stable id of an instruction: the first 16 hex digits of its SHA-256 (UTF-8)."""
    return hashlib.sha256(instruction.encode("utf-8")).hexdigest()[:16]


def _preference(raw: Any, where: str) -> tuple[float | None, float | None]:
    """(x, raw) from the file's ``preference``; raises ConfigError outside {null, 0, [1, 2]}."""
    if raw is None:
        return None, None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: preference {raw!r} is not a number", _HINT) from None
    if math.isnan(value):
        return None, None
    if value == 0.0:
        return 0.5, value
    if not 1.0 <= value <= 2.0:
        raise ConfigError(f"{where}: preference {raw!r} is outside 1..2 (0 = draw, null = unparsed)", _HINT)
    return value - 1.0, value


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        raw = read_regular(path, MAX_ANNOTATION_BYTES)
    except UnsafePath as exc:
        raise ConfigError(f"cannot read AlpacaEval annotations {path}: the path {exc.problem}", _HINT) from None
    try:
        rows = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read AlpacaEval annotations {path}: it is not UTF-8 (bad byte at offset "
                          f"{exc.start})", "Save the file as UTF-8 (AlpacaEval writes UTF-8 JSON).") from None
    except RecursionError:
        raise ConfigError(f"cannot read AlpacaEval annotations {path}: JSON nested too deeply", _HINT) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"cannot read AlpacaEval annotations {path}: {exc}", _HINT) from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ConfigError(f"{path} is not a JSON list of annotation rows", _HINT)
    return rows


def read_alpaca_eval(paths: Iterable[str | Path]) -> AlpacaEvalAnnotations:
    """Read annotation files; the same (generator, instruction) must always carry the same output.

    Raises ConfigError for unreadable files, missing fields, bad preferences, or two different
    outputs given for one generator and instruction.
    """
    prompts: dict[str, AlpacaEvalPrompt] = {}
    outputs: dict[tuple[str, str], AlpacaEvalOutput] = {}
    judgments: list[AlpacaEvalJudgment] = []
    references: dict[str, None] = {}
    models: dict[str, None] = {}
    for path in map(Path, paths):
        for n, row in enumerate(_rows(path)):
            where = f"{path} row {n}"
            try:
                instruction = str(row["instruction"])
                reference, model = str(row["generator_1"]), str(row["generator_2"])
                answers = ((reference, str(row["output_1"])), (model, str(row["output_2"])))
                raw = row["preference"]
            except KeyError as exc:
                raise ConfigError(f"{where}: missing field {exc.args[0]!r}", _HINT) from None
            pid = prompt_id(instruction)
            prompts.setdefault(pid, AlpacaEvalPrompt(pid, instruction, str(row.get("dataset") or "")))
            for generator, text in answers:
                known = outputs.setdefault((generator, pid), AlpacaEvalOutput(generator, pid, text))
                if known.text != text:
                    raise ConfigError(f"{where}: {generator!r} has two different outputs for one instruction", _HINT)
            references.setdefault(reference)
            models.setdefault(model)
            x, value = _preference(raw, where)
            judgments.append(AlpacaEvalJudgment(model, reference, pid, x, value, str(row.get("annotator") or "")))
    return AlpacaEvalAnnotations(
        prompts=tuple(prompts.values()),
        references=tuple(references),
        models=tuple(m for m in models if m not in references),
        outputs=tuple(outputs.values()),
        judgments=tuple(judgments),
    )


def to_frames(annotations: AlpacaEvalAnnotations) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(judgments, responses) frames of docs/CONTRACTS.md for the statistics.

    Judgments: order "" (unknown), sample = index of repeated rows for the same triple, label = the
    raw preference as text. Responses: every output with status "ok", length = characters, tokens 0
    (AlpacaEval files carry no usage).
    """
    category = {p.id: p.category for p in annotations.prompts}
    seen: dict[tuple[str, str, str], int] = {}
    judgment_rows = []
    for j in annotations.judgments:
        key = (j.model, j.reference, j.prompt_id)
        seen[key] = seen.get(key, -1) + 1
        judgment_rows.append(
            {
                "model": j.model,
                "reference": j.reference,
                "prompt_id": j.prompt_id,
                "category": category[j.prompt_id],
                "order": "",
                "sample": seen[key],
                "status": j.status,
                "preference": j.preference if j.preference is not None else math.nan,
                "label": "" if j.raw is None else f"{j.raw:g}",
                "score": math.nan,
                "reasoning": "",
                "flags": "",
            }
        )
    response_rows = [
        {
            "model": o.model,
            "prompt_id": o.prompt_id,
            "sample": 0,
            "status": "ok",
            "text": o.text,
            "length": len(o.text),
            "prompt_tokens": 0,
            "completion_tokens": 0,
        }
        for o in annotations.outputs
    ]
    return pd.DataFrame(judgment_rows), pd.DataFrame(response_rows)
