"""An import suite (``judgebench import alpaca-eval --suite-file``) is untrusted input.

Its file list must not read outside the data root (``..``, absolute paths, symlinks out, device
files), its annotation files may be malformed, and it may claim a reference, annotator or model
the files do not hold. Every case: exit 2, one ``error:`` paragraph naming the problem, no
traceback, and no store or leaderboard written. Self-written two-row annotation files only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reliability.helpers import cli

ROWS = [
    {"instruction": "Name a colour.", "dataset": "t", "output_1": "Blue.", "generator_1": "ref",
     "output_2": "Red, because it is warm.", "generator_2": "m1", "annotator": "judge_a", "preference": 2},
    {"instruction": "What is 2+2?", "dataset": "t", "output_1": "4", "generator_1": "ref",
     "output_2": "5", "generator_2": "m1", "annotator": "judge_a", "preference": 1},
]


def _suite(tmp: Path, files: list[str], *, annotators: str = "[judge_a]", reference: str = "ref",
           models: str = "[{name: m1, training: {examples: 2, curated: true}}]") -> Path:
    path = tmp / "suites" / "imp.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"name: imp\nsource:\n  format: alpaca-eval\n  judge: Test judge\n  annotators: {annotators}\n"
                    f"  reference: {reference}\n  files: {json.dumps(files)}\nmodels: {models}\n")
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "good.json").write_text(json.dumps(ROWS))
    (tmp_path / "secret.json").write_text(json.dumps(ROWS))  # a valid file, outside the root
    return data


def _run(tmp: Path, suite: Path, data: Path) -> tuple[int, str, str]:
    r = cli("import", "alpaca-eval", "--suite-file", str(suite), "--data", str(data),
            "--store", str(tmp / "out" / "store.sqlite"), "--out", str(tmp / "out" / "lb"), cwd=tmp)
    return r.returncode, r.stdout, r.stderr


def _refused(tmp: Path, result: tuple[int, str, str], *words: str) -> None:
    code, out, err = result
    assert code == 2, f"exit {code}:\n{out}{err}"
    assert err.startswith("error: ") and "Traceback" not in out + err, err
    for w in words:
        assert w in err, f"{w!r} not in:\n{err}"
    assert not (tmp / "out").exists(), "something was written"


def test_a_valid_import_suite_is_accepted(tmp_path: Path, root: Path) -> None:
    """The control: the same set-up with a good file imports and writes its page."""
    code, out, err = _run(tmp_path, _suite(tmp_path, ["good.json"]), root)
    assert code == 0, out + err
    board = json.loads((tmp_path / "out" / "lb" / "imp" / "leaderboard.json").read_text())
    assert [(r["model"], r["win_rate"]) for r in board["rows"]] == [("m1", 50.0)]
    assert "not re-run by judgebench" in board["manifest"]["description"]


ESCAPES: dict[str, Callable[[Path, Path], str]] = {
    "dot-dot": lambda tmp, root: "../secret.json",
    "absolute": lambda tmp, root: str(tmp / "secret.json"),
    "home": lambda tmp, root: "~/secret.json",
    "symlink-out": lambda tmp, root: _link(root / "out.json", tmp / "secret.json"),
    "symlink-to-environ": lambda tmp, root: _link(root / "env.json", Path("/proc/self/environ")),
    "symlink-dir-out": lambda tmp, root: _link(root / "sub", tmp) + "/secret.json",
    "symlink-loop": lambda tmp, root: _loop(root),
}


def _link(at: Path, to: Path) -> str:
    at.symlink_to(to)
    return at.name


def _loop(root: Path) -> str:
    (root / "a.json").symlink_to(root / "b.json")
    (root / "b.json").symlink_to(root / "a.json")
    return "a.json"


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_a_path_out_of_the_data_root_is_refused(tmp_path: Path, root: Path, case: str) -> None:
    name = ESCAPES[case](tmp_path, root)
    _refused(tmp_path, _run(tmp_path, _suite(tmp_path, ["good.json", name]), root),
             "source.files[1]")


def test_a_fifo_in_the_data_root_does_not_block(tmp_path: Path, root: Path) -> None:
    os.mkfifo(root / "pipe.json")
    _refused(tmp_path, _run(tmp_path, _suite(tmp_path, ["pipe.json"]), root), "not a regular file")


MALFORMED: dict[str, tuple[str, str]] = {
    "not-json": ('[{"instruction": ', "cannot read AlpacaEval annotations"),
    "not-a-list": ('{"instruction": "x"}', "is not a JSON list of annotation rows"),
    "list-of-numbers": ("[1, 2, 3]", "is not a JSON list of annotation rows"),
    "missing-field": (json.dumps([{k: v for k, v in ROWS[0].items() if k != "output_2"}]), "missing field 'output_2'"),
    "bad-preference": (json.dumps([ROWS[0] | {"preference": "model wins"}]), "is not a number"),
    "preference-out-of-range": (json.dumps([ROWS[0] | {"preference": 7}]), "outside 1..2"),
    "infinite-preference": ('[' + json.dumps(ROWS[0])[:-1].replace('"preference": 2', '"preference": Infinity') + '}]',
                            "outside 1..2"),
    "two-outputs-one-prompt": (json.dumps([ROWS[0], ROWS[0] | {"output_2": "Green."}]), "two different outputs"),
    "deeply-nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "not-utf8": ('[{"instruction": "\xff"}]', "not UTF-8"),
    "empty-list": ("[]", "hold no annotations"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_annotation_file_is_refused(tmp_path: Path, root: Path, case: str) -> None:
    text, expected = MALFORMED[case]
    bad = root / "bad.json"
    if case == "not-utf8":
        bad.write_bytes(text.encode("latin-1"))
    else:
        bad.write_text(text)
    _refused(tmp_path, _run(tmp_path, _suite(tmp_path, ["bad.json"]), root), expected)


CLAIMS: dict[str, tuple[dict[str, str], str]] = {
    "other-reference": ({"reference": "davinci"}, "source.reference"),
    "undeclared-annotator": ({"annotators": "[judge_b]"}, "'judge_a'"),
    "model-not-in-files": ({"models": "[{name: m1}, {name: m2}]"}, "no file holds m2"),
    "model-not-listed": ({"models": "[{name: m9}]"}, "the files hold m1"),
    "model-twice": ({"models": "[{name: m1}, {name: m1}]"}, "listed twice"),
    "bad-training": ({"models": "[{name: m1, training: {examples: -3}}]"}, "models[0] (m1).training.examples"),
    "unknown-key": ({"models": "[{name: m1, base_url: 'http://x'}]"}, "base_url"),
}


@pytest.mark.parametrize("case", sorted(CLAIMS))
def test_a_suite_that_misdescribes_its_files_is_refused(tmp_path: Path, root: Path, case: str) -> None:
    overrides, expected = CLAIMS[case]
    _refused(tmp_path, _run(tmp_path, _suite(tmp_path, ["good.json"], **overrides), root), expected)


def test_the_data_root_is_never_taken_from_the_suite_file(tmp_path: Path, root: Path) -> None:
    suite = _suite(tmp_path, ["good.json"])
    suite.write_text(suite.read_text() + "data_root: /\n")
    _refused(tmp_path, _run(tmp_path, suite, root), "data_root")


def test_a_missing_data_root_says_where_it_looked(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ["good.json"])
    r = cli("import", "alpaca-eval", "--suite-file", str(suite), "--store", str(tmp_path / "out" / "s.sqlite"),
            "--out", str(tmp_path / "out" / "lb"), cwd=tmp_path, extra_env={"JUDGEBENCH_DATA": ""})
    default = tmp_path.parent / "shared" / "data"
    if default.is_dir():
        pytest.skip(f"{default} exists, so the default data root is found")
    _refused(tmp_path, (r.returncode, r.stdout, r.stderr), "../shared/data", "--data", "JUDGEBENCH_DATA")


def test_suite_file_and_files_together_are_refused(tmp_path: Path, root: Path) -> None:
    suite = _suite(tmp_path, ["good.json"])
    r = cli("import", "alpaca-eval", str(root / "good.json"), "--suite-file", str(suite), "--data", str(root),
            "--store", str(tmp_path / "out" / "s.sqlite"), cwd=tmp_path)
    _refused(tmp_path, (r.returncode, r.stdout, r.stderr), "--suite-file")
