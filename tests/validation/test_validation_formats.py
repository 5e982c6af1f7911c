"""Format registry and loaders, on small self-written fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgebench.errors import ConfigError, SuiteError
from judgebench.validation import (
    PAIR_LOADERS,
    VERDICT_LOADERS,
    LabelledPair,
    RecordedVerdict,
    load_pairs,
    load_verdicts,
    score_recorded,
)

ROWS = [
    {"input": "Name a colour.", "output_1": "Blue.", "output_2": "Seven.", "label": 1},
    {"input": "Add 2 and 2.", "output_1": "5", "output_2": "4", "label": 2},
]


def dump(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_registry_names() -> None:
    assert set(PAIR_LOADERS) == {"jsonl", "llmbar", "mt-bench", "pandalm"}
    assert set(VERDICT_LOADERS) == {"jsonl", "llmbar", "mt-bench"}


def test_unknown_format_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_pairs(tmp_path, "csv")
    assert caught.value.hint == "Use one of: jsonl, llmbar, mt-bench, pandalm."


def test_llmbar_pairs_and_verdicts(tmp_path: Path) -> None:
    dataset = dump(tmp_path / "Natural" / "dataset.json", ROWS)
    results = [
        # the second verdict string is a Python literal, as LLMBar stored some of them
        dict(ROWS[0], results=[{"swap = False": {"winner": "1"}, "swap = True": {"winner": "2"}}]),
        dict(ROWS[1], results=str([{"swap = False": {"winner": None}, "swap = True": {"winner": "2"}}])),
    ]
    result = dump(tmp_path / "Natural" / "evaluators" / "J" / "S" / "result.json", results)
    assert load_pairs(dataset, "llmbar") == [
        LabelledPair("0", "Name a colour.", "Blue.", "Seven.", ("A",)),
        LabelledPair("1", "Add 2 and 2.", "5", "4", ("B",)),
    ]
    assert [p.id for p in load_pairs(tmp_path, "llmbar")] == ["Natural/0", "Natural/1"]  # evaluators skipped
    verdicts = load_verdicts(result, "llmbar")
    assert verdicts == [
        RecordedVerdict("0", "AB", "A"),
        RecordedVerdict("0", "BA", "B"),
        RecordedVerdict("1", "AB", None),
        RecordedVerdict("1", "BA", "B"),
    ]
    report = score_recorded(load_pairs(dataset, "llmbar"), verdicts)
    assert (report.accuracy_ab, report.accuracy_ba, report.positional_agreement) == (0.5, 0.5, 0.0)


def test_llmbar_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(SuiteError) as caught:
        load_pairs(dump(tmp_path / "d.json", [dict(ROWS[0], label=3)]), "llmbar")
    assert caught.value.field == "[0].label"
    with pytest.raises(SuiteError, match="not a Python literal"):
        load_verdicts(dump(tmp_path / "r.json", [dict(ROWS[0], results="__import__('os')")]), "llmbar")
    with pytest.raises(SuiteError, match="does not exist"):
        load_pairs(tmp_path / "missing.json", "llmbar")


def test_pandalm_pairs(tmp_path: Path) -> None:
    row = {
        "idx": 4,
        "instruction": "Fix the grammar.",
        "input": "he go home",
        "response1": "He goes home.",
        "response2": "he go home",
        "annotator1": 1,
        "annotator2": 0,
        "annotator3": 1,
    }
    [pair] = load_pairs(dump(tmp_path / "t.json", [row]), "pandalm")
    assert pair == LabelledPair(
        "4", "Fix the grammar.\n\nhe go home", "He goes home.", "he go home", ("A", "tie", "A")
    )


def test_verdict_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text('{"id": "p", "order": "AB", "winner": "tie"}\n{"id": 3, "order": "BA", "winner": null}\n')
    assert load_verdicts(path, "jsonl") == [
        RecordedVerdict("p", "AB", "tie"),
        RecordedVerdict("3", "BA", None),
    ]
    path.write_text('{"id": "p", "order": "ba", "winner": "A"}\n')
    with pytest.raises(SuiteError) as caught:
        load_verdicts(path, "jsonl")
    assert caught.value.field == "order" and str(caught.value.path).endswith("v.jsonl:1")
