"""Messages a person can read: every mistake names its place once, in words, with the nearest fix.

Through the real CLI (click's runner, in this process); nothing here needs a server: each command
is refused before anything is requested.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from judgebench.cli import main
from judgebench.config import load_suite
from judgebench.errors import SuiteError
from judgebench.promptset import load_prompts

SUITE = """\
name: t
prompts: prompts.jsonl
models:
  - name: alpha
    provider: openai
    model: m
    base_url: http://127.0.0.1:9/v1
  - name: beta
    provider: openai
    model: m
    base_url: http://127.0.0.1:9/v1
  - name: gamma
    provider: openai
    model: m
    base_url: http://127.0.0.1:9/v1
reference: alpha
judge: {provider: openai, model: j, base_url: "http://127.0.0.1:9/v1"}
"""
PYDANTIC = ("Value error", "Input should", "Input is not", "String should", "should match pattern", "validation error",
            "<class")


def _suite(tmp_path: Path, text: str = SUITE) -> Path:
    (tmp_path / "prompts.jsonl").write_text('{"id": "p1", "prompt": "Name a colour."}\n')
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    return path


def _error(tmp_path: Path, old: str, new: str) -> str:
    path = _suite(tmp_path, SUITE.replace(old, new, 1))
    assert path.read_text() != SUITE, "the edit did not apply"
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return info.value.render()


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ("name: t", "nmae: t", "name", ["`nmae` is not a known key here, did you mean `name`?", "this field is required"]),
        ("    model: m\n", "    model: m\n    bsae_url: x\n", "models[0] (alpha).bsae_url", ["did you mean `base_url`?"]),
        ("judge: {", "judge: {rubrik: pairwise, ", "judge.rubrik", ["did you mean `rubric`?"]),
        ("provider: openai", "provider: opnai", "models[0] (alpha).provider",
         ["must be 'openai' or 'vllm'", '(got "opnai")', "did you mean `openai`?"]),
        ("reference: alpha", "reference: alpah", "reference", ["'alpah' is not one of the models", "did you mean `alpha`?"]),
        ("name: alpha", 'name: "al pha"', "models[0] (al pha).name",
         ["must start with a letter or digit and use only letters, digits and . _ : + - (no spaces)"]),
        ("name: t", "name: t\ngeneration: {temperature: hot}", "generation.temperature", ["must be a number"]),
        ("name: t", "name: t\ngeneration: {max_tokens: 1.5}", "generation.max_tokens", ["must be an integer"]),
        ("    model: m\n", "    model: m\n    concurrency: 0\n", "models[0] (alpha).concurrency", ["must be at least 1"]),
        ("name: beta", "name: alpha", "models", ["model names must be unique; repeated: alpha"]),
    ],
)
def test_suite_mistakes_name_the_field_once_in_words(tmp_path: Path, old: str, new: str, field: str,
                                                     words: list[str]) -> None:
    message = _error(tmp_path, old, new)
    assert message.replace(f"did you mean `{field}`?", "").count(f"`{field}`") == 1, message
    for phrase in PYDANTIC:
        assert phrase not in message, message
    for w in words:
        assert w in message, message


def test_a_key_nothing_resembles_gets_no_guess(tmp_path: Path) -> None:
    message = _error(tmp_path, "name: t", "name: t\nzzqxv: 1")
    assert "field `zzqxv`: is not a known key here" in message and "did you mean" not in message, message


def test_a_prompt_file_is_called_a_prompt_file(tmp_path: Path) -> None:
    path = _suite(tmp_path)
    (tmp_path / "prompts.jsonl").write_text('{"id": "p1", "promt": "Name a colour."}\n')
    with pytest.raises(SuiteError) as info:
        load_prompts(load_suite(path).prompts, path)
    message = info.value.render()
    assert message.startswith(f"Invalid prompt file {tmp_path / 'prompts.jsonl'}, line 1, key `promt`: "), message
    assert "suite file" not in message and "did you mean `prompt`?" in message, message


def test_run_help_shows_a_complete_suite_file_that_loads(tmp_path: Path) -> None:
    code, text = _invoke("run", "--help")
    assert code == 0
    block = text.split("lists them all):", 1)[1].split("Options:", 1)[0]
    example = textwrap.dedent(block.strip("\n"))
    assert "models:" in example and "judge:" in example
    suite = load_suite(_suite(tmp_path, example))
    assert [m.name for m in suite.models] == ["sft-lima-1k", "base"] and suite.references == ["base"]


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _commands(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def test_every_command_help_ends_with_the_exit_codes() -> None:
    commands = _commands(main)
    assert len(commands) >= 12 and ("import", "alpaca-eval") in commands and ("validate-judge",) in commands
    for command in commands:
        code, text = _invoke(*command, "--help")
        assert code == 0 and re.search(r"Exit codes: 0 (success|passed)", text), (command, text[-400:])


@pytest.mark.parametrize(
    ("a", "b", "words"),
    [
        ("beta", "beta", "Both sides of the comparison are 'beta'"),
        ("beta", "alpha", "'alpha' is a reference of suite 't'"),
        ("alpha", "gamma", "'alpha' is a reference of suite 't'"),
        ("beta", "gama", "Did you mean `gamma`?"),
    ],
)
def test_compare_refuses_what_is_no_comparison(tmp_path: Path, a: str, b: str, words: str) -> None:
    code, text = _invoke("compare", str(_suite(tmp_path)), a, b)
    assert code == 2 and words in text and "Traceback" not in text, text


def test_unknown_model_on_the_command_line_gets_the_nearest_name(tmp_path: Path) -> None:
    code, text = _invoke("run", str(_suite(tmp_path)), "--model", "betta", "--max-requests", "0")
    assert code == 2 and "'betta' is not a model of suite 't'." in text and "Did you mean `beta`?" in text, text


def test_run_without_a_suite_says_which_suite_and_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "suites").mkdir()
    _suite(tmp_path / "suites")
    (tmp_path / "suites" / "suite.yaml").rename(tmp_path / "suites" / "demo.yaml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", "--max-requests", "0", "--out", "lb"])
    store = Path("suites") / ".judgebench" / "store.sqlite"
    assert f"No SUITE given: running {Path('suites') / 'demo.yaml'} (the embedded CPU demo), store {store}." \
        in result.output, result.output
