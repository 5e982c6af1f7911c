"""The user's labelled-pair JSONL format: what it accepts and how it says what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgebench.errors import SuiteError
from judgebench.validation import LabelledPair, load_pairs, read_pairs_jsonl


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(**overrides: object) -> str:
    base: dict[str, object] = {
        "id": "p1",
        "prompt": "Say hi",
        "response_a": "hi",
        "response_b": "hello",
        "label": "A",
    }
    base.update(overrides)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


def test_reads_single_and_multi_annotator_labels(tmp_path: Path) -> None:
    path = write(tmp_path, row(), "", row(id=7, label=["B", "tie", "B"]))
    assert read_pairs_jsonl(path) == [
        LabelledPair("p1", "Say hi", "hi", "hello", ("A",)),
        LabelledPair("7", "Say hi", "hi", "hello", ("B", "tie", "B")),
    ]
    assert load_pairs(path, "jsonl") == read_pairs_jsonl(path)


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        (row(label="C"), "label", "'C' is not a label"),
        (row(label=[]), "label", "empty"),
        (row(label=["A", "a"]), "label", "'a' is not a label"),
        (row(label=...), "label", "missing"),
        (row(response_b=...), "response_b", "missing"),
        (row(prompt=3), "prompt", "expected a string"),
        ('{"id": "p1",', None, "not valid JSON"),
        ("[1, 2]", None, "expected a JSON object"),
    ],
)
def test_bad_lines_name_file_line_and_field(
    tmp_path: Path, line: str, field: str | None, problem: str
) -> None:
    path = write(tmp_path, row(id="ok"), line)
    with pytest.raises(SuiteError) as caught:
        read_pairs_jsonl(path)
    assert caught.value.field == field
    assert str(caught.value.path) == f"{path}:2"
    assert problem in caught.value.message
    assert str(path) in caught.value.render()


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="duplicate id 'p1' \\(first on line 1\\)"):
        read_pairs_jsonl(write(tmp_path, row(), row()))


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="does not exist"):
        read_pairs_jsonl(tmp_path / "nope.jsonl")
    with pytest.raises(SuiteError, match="holds no pairs"):
        read_pairs_jsonl(write(tmp_path, ""))
