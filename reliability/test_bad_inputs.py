"""Bad input through the real CLI: exit 2 (3 when the network is at fault), one paragraph that
names the file, the field and a fix, no traceback, and nothing written (no store, no leaderboard).

The corpus is ``reliability/bad_inputs/`` (suites ``s*.yaml`` and the prompt files and rubric
templates they point to); the large and binary cases are generated into the test's folder.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reliability.helpers import cli

CORPUS = Path(__file__).resolve().parent / "bad_inputs"

# suite file -> (exit code, the file the message must name, words naming the field / position)
CASES: dict[str, tuple[int, str, list[str]]] = {
    "s01_yaml_bad_indent.yaml": (2, "s01_yaml_bad_indent.yaml", ["line 5"]),
    "s02_yaml_tab_indent.yaml": (2, "s02_yaml_tab_indent.yaml", ["line 4"]),
    "s03_yaml_unclosed_quote.yaml": (2, "s03_yaml_unclosed_quote.yaml", ["line"]),
    "s04_yaml_duplicate_key.yaml": (2, "s04_yaml_duplicate_key.yaml", ["reference"]),
    "s05_top_level_list.yaml": (2, "s05_top_level_list.yaml", ["mapping"]),
    "s06_empty.yaml": (2, "s06_empty.yaml", ["mapping"]),
    "s07_unknown_top_field.yaml": (2, "s07_unknown_top_field.yaml", ["modles"]),
    "s08_unknown_model_field.yaml": (2, "s08_unknown_model_field.yaml", ["models[0]", "temprature"]),
    "s09_unknown_judge_field.yaml": (2, "s09_unknown_judge_field.yaml", ["judge.rubrik"]),
    "s10_concurrency_string.yaml": (2, "s10_concurrency_string.yaml", ["judge.concurrency", "integer"]),
    "s11_max_tokens_negative.yaml": (2, "s11_max_tokens_negative.yaml", ["generation.max_tokens"]),
    "s12_temperature_string.yaml": (2, "s12_temperature_string.yaml", ["generation.temperature"]),
    "s13_models_not_list.yaml": (2, "s13_models_not_list.yaml", ["models", "list"]),
    "s14_models_empty.yaml": (2, "s14_models_empty.yaml", ["models"]),
    "s15_missing_name.yaml": (2, "s15_missing_name.yaml", ["name", "required"]),
    "s16_missing_prompts.yaml": (2, "s16_missing_prompts.yaml", ["prompts", "required"]),
    "s17_unknown_provider.yaml": (2, "s17_unknown_provider.yaml", ["models[0]", "provider"]),
    "s18_duplicate_model_names.yaml": (2, "s18_duplicate_model_names.yaml", ["unique", "cand"]),
    "s19_reference_not_a_model.yaml": (2, "s19_reference_not_a_model.yaml", ["reference", "ghost"]),
    "s20_api_key_in_file.yaml": (2, "s20_api_key_in_file.yaml", ["api_key_env"]),
    "s21_missing_key_variable.yaml": (2, "s21_missing_key_variable.yaml",
                                      ["api_key_env", "JB_RELIABILITY_UNSET_VARIABLE"]),
    "s22_missing_prompt_file.yaml": (2, "s22_missing_prompt_file.yaml", ["prompts", "no_such_prompts.jsonl"]),
    "s23_prompts_is_folder.yaml": (2, "s23_prompts_is_folder.yaml", ["prompts", "folder"]),
    "s24_prompts_bad_json.yaml": (2, "p_bad_json.jsonl", ["line 2"]),
    "s25_duplicate_prompt_ids.yaml": (2, "p_duplicate_ids.jsonl", ["line 3", "q1"]),
    "s26_empty_prompt.yaml": (2, "p_empty_prompt.jsonl", ["line 2", "prompt"]),
    "s27_no_prompts.yaml": (2, "p_blank.jsonl", ["no prompts"]),
    "s28_prompt_missing_id.yaml": (2, "p_missing_id.jsonl", ["line 1", "id"]),
    "s29_prompt_unknown_key.yaml": (2, "p_unknown_key.jsonl", ["line 1", "answer"]),
    "s30_prompt_turns_not_list.yaml": (2, "p_turns_string.jsonl", ["line 1", "turns"]),
    "s31_prompt_not_object.yaml": (2, "p_array_row.jsonl", ["line 1", "object"]),
    "s32_prompt_number.yaml": (2, "p_prompt_number.jsonl", ["line 1", "prompt"]),
    "s33_unknown_rubric.yaml": (2, "s33_unknown_rubric.yaml", ["judge.rubric", "no-such-rubric"]),
    "s34_rubric_undefined_variable.yaml": (2, "t_undefined_variable.j2", ["response_c"]),
    "s35_rubric_syntax_error.yaml": (2, "t_syntax_error.j2", ["line 3"]),
    "s36_rubric_include_file.yaml": (2, "t_include_passwd.j2", ["include"]),
    "s37_rubric_mro.yaml": (2, "t_mro.j2", ["sandbox", "__class__"]),
    "s38_rubric_globals.yaml": (2, "t_cycler_globals.j2", ["cycler"]),
    "s39_rubric_attribute_escape.yaml": (2, "t_attribute_escape.j2", ["sandbox", "__class__"]),
    "s40_unknown_protocol.yaml": (2, "s40_unknown_protocol.yaml", ["judge.protocol", "no-such-protocol"]),
    "s41_orders_invalid.yaml": (2, "s41_orders_invalid.yaml", ["judge.orders"]),
    "s42_adapter_without_vllm.yaml": (2, "s42_adapter_without_vllm.yaml", ["models[0]", "adapter"]),
    "s43_suite_name_invalid.yaml": (2, "s43_suite_name_invalid.yaml", ["name", "my suite!"]),
    "s44_limit_zero.yaml": (2, "s44_limit_zero.yaml", ["limit"]),
    "s45_generation_unknown_param.yaml": (2, "s45_generation_unknown_param.yaml", ["generation.max_token"]),
    "s46_prompts_wrong_type.yaml": (2, "s46_prompts_wrong_type.yaml", ["prompts"]),
    "s47_reference_list_unknown.yaml": (2, "s47_reference_list_unknown.yaml", ["reference", "ghost"]),
    "s48_model_id_empty.yaml": (2, "s48_model_id_empty.yaml", ["models[0]", "model"]),
    "s49_unreachable_base_url.yaml": (3, "s49_unreachable_base_url.yaml", ["base_url", "127.0.0.1:9"]),
}


def _replace_prompts(suite: Path, prompts: str) -> None:
    suite.write_text(suite.read_text().replace("prompts: good_prompts.jsonl", f"prompts: {prompts}"))


def _gen_non_utf8_suite(d: Path) -> str:
    (d / "g_non_utf8_suite.yaml").write_bytes(b"name: bad\ndescription: caf\xe9 cr\xe8me\n"
                                              + (d / "s49_unreachable_base_url.yaml").read_bytes()[10:])
    return "g_non_utf8_suite.yaml"


def _gen_non_utf8_prompts(d: Path) -> str:
    (d / "g_latin1.jsonl").write_bytes(b'{"id": "q1", "prompt": "fine"}\n{"id": "q2", "prompt": "caf\xe9"}\n')
    shutil.copy(d / "s49_unreachable_base_url.yaml", d / "g_non_utf8_prompts.yaml")
    _replace_prompts(d / "g_non_utf8_prompts.yaml", "g_latin1.jsonl")
    return "g_non_utf8_prompts.yaml"


def _gen_10mb_prompt(d: Path) -> str:
    with (d / "g_10mb.jsonl").open("w") as f:
        f.write(json.dumps({"id": "q1", "prompt": "fine"}) + "\n")
        f.write(json.dumps({"id": "huge", "prompt": "lorem ipsum " * (10_000_000 // 12)}) + "\n")
    assert (d / "g_10mb.jsonl").stat().st_size > 10_000_000
    shutil.copy(d / "s49_unreachable_base_url.yaml", d / "g_10mb_prompt.yaml")
    _replace_prompts(d / "g_10mb_prompt.yaml", "g_10mb.jsonl")
    return "g_10mb_prompt.yaml"


def _gen_binary_suite(d: Path) -> str:
    (d / "g_binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(4096))
    return "g_binary.yaml"


def _gen_non_utf8_rubric(d: Path) -> str:
    (d / "g_latin1.j2").write_bytes(b"{# protocol: pairwise #}\nJuge: {{ response_a }} contre {{ response_b }} \xe0\n")
    (d / "g_non_utf8_rubric.yaml").write_text(
        (d / "s49_unreachable_base_url.yaml").read_text().replace("model: judge,", "model: judge, rubric: g_latin1.j2,"))
    return "g_non_utf8_rubric.yaml"


def _gen_missing_suite(d: Path) -> str:
    return "g_does_not_exist.yaml"


def _gen_folder(d: Path) -> str:
    (d / "g_folder.yaml").mkdir()
    return "g_folder.yaml"


GENERATED: dict[str, tuple[Callable[[Path], str], int, str, list[str]]] = {
    "non-utf8-suite": (_gen_non_utf8_suite, 2, "g_non_utf8_suite.yaml", ["UTF-8", "offset"]),
    "non-utf8-prompts": (_gen_non_utf8_prompts, 2, "g_latin1.jsonl", ["UTF-8", "line 2"]),
    "10mb-prompt": (_gen_10mb_prompt, 2, "g_10mb.jsonl", ["line 2", "prompt"]),
    "binary-suite": (_gen_binary_suite, 2, "g_binary.yaml", ["UTF-8"]),
    "non-utf8-rubric": (_gen_non_utf8_rubric, 2, "g_latin1.j2", ["UTF-8"]),
    "missing-suite": (_gen_missing_suite, 2, "g_does_not_exist.yaml", ["does not exist"]),
    "suite-is-folder": (_gen_folder, 2, "g_folder.yaml", ["folder"]),
}


def test_the_corpus_is_complete() -> None:
    on_disk = sorted(p.name for p in CORPUS.glob("s*.yaml"))
    assert on_disk == sorted(CASES), "every suite in bad_inputs/ has an expectation, and vice versa"
    assert len(CASES) + len(GENERATED) >= 30


def _check(workdir: Path, suite: str, exit_code: int, names: str, words: list[str]) -> None:
    res = cli("run", suite, "--out", "lb", cwd=workdir)
    out = res.stderr.strip()
    assert res.returncode == exit_code, f"{suite}: exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stdout == "", f"{suite}: the error goes to stderr alone, got stdout {res.stdout!r}"
    lines = out.splitlines()
    assert out.startswith("error: "), out
    assert 2 <= len(lines) <= 4 and all(line.strip() for line in lines), f"{suite}: not one paragraph with a fix:\n{out}"
    assert names in out, f"{suite}: the message does not name {names}:\n{out}"
    for w in words:
        assert w in out, f"{suite}: the message does not name {w!r}:\n{out}"
    for phrase in ("Value error", "Input should", "Input is not", "String should", "should match pattern",
                   "validation error", "<class"):
        assert phrase not in out, f"{suite}: pydantic's phrasing reached the user:\n{out}"
    fields = re.findall(r"(?:field )?`([^`]+)`[:,]", out)
    assert len(fields) == len(set(fields)), f"{suite}: a field path printed twice:\n{out}"
    if not names.endswith((".yaml", ".yml")):
        assert "Invalid suite file" not in out, f"{suite}: {names} is not a suite file:\n{out}"
    assert not (workdir / ".judgebench").exists(), f"{suite}: a store was written"
    assert not (workdir / "lb").exists(), f"{suite}: a leaderboard was written"


@pytest.mark.parametrize("suite", sorted(CASES))
def test_bad_suite_file(tmp_path: Path, suite: str) -> None:
    work = tmp_path / "w"
    shutil.copytree(CORPUS, work)
    exit_code, names, words = CASES[suite]
    _check(work, suite, exit_code, names, words)


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_generated_bad_input(tmp_path: Path, case: str) -> None:
    work = tmp_path / "w"
    shutil.copytree(CORPUS, work)
    make, exit_code, names, words = GENERATED[case]
    _check(work, make(work), exit_code, names, words)


def test_a_key_pasted_into_api_key_env_is_not_echoed(tmp_path: Path) -> None:
    work = tmp_path / "w"
    shutil.copytree(CORPUS, work)
    res = cli("run", "s20_api_key_in_file.yaml", cwd=work)
    assert res.returncode == 2
    assert "PASTEDKEY" not in res.stderr + res.stdout
