"""Suite files: what works as written, and errors that name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from judgebench.config import load_suite
from judgebench.errors import SuiteError

ISSUE_EXAMPLE = """
name: demo
prompts: demo_prompts.jsonl
generation: {max_tokens: 512, temperature: 0.0}
models:
  - name: sft-lima-1k
    provider: openai
    model: sft-lima-1k
    base_url: http://127.0.0.1:8000/v1
    api_key_env: OPENAI_API_KEY
    training: {dataset: lima, examples: 1000, curated: true}
  - name: reference-model
    provider: openai
    model: some-model
reference: reference-model
judge:
  provider: openai
  model: gpt-4o-mini
  base_url: https://example.invalid/v1
  rubric: pairwise
  orders: both
  temperature: 0
  concurrency: 32
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "suite.yaml"
    p.write_text(text)
    return p


def test_the_issue_example_loads_as_written(tmp_path: Path) -> None:
    suite = load_suite(_write(tmp_path, ISSUE_EXAMPLE))
    assert suite.references == ["reference-model"]
    assert suite.prompts == (tmp_path / "demo_prompts.jsonl").resolve()
    lima = suite.model("sft-lima-1k")
    assert lima.training is not None and lima.training.examples == 1000 and lima.training.curated
    assert suite.judge.concurrency == 32 and suite.judge.orders == "both"
    with pytest.raises(ValidationError):
        suite.judge.concurrency = 1  # type: ignore[misc]  # frozen


def test_model_overrides_generation_defaults(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("    model: some-model", "    model: some-model\n    generation: {temperature: 0.7}")
    suite = load_suite(_write(tmp_path, text))
    params = suite.generation_for(suite.model("reference-model"))
    assert params.temperature == 0.7 and params.max_tokens == 512
    assert suite.generation_for(suite.model("sft-lima-1k")).temperature == 0.0


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (("    provider: openai\n    model: some-model", "    provider: opneai\n    model: some-model"),
         "models[1] (reference-model).provider", "'openai' or 'vllm'"),
        (("  concurrency: 32", "  concurency: 32"), "judge.concurency", "did you mean `concurrency`?"),
        (("reference: reference-model", "reference: nobody"), "", "not one of the models"),
        (("generation: {max_tokens: 512", "generation: {max_tokens: lots"), "generation.max_tokens", "integer"),
        (("    api_key_env: OPENAI_API_KEY", "    api_key_env: sk-abc123"), "api_key_env", "NAME of an environment"),
    ],
)
def test_errors_name_file_field_and_expectation(tmp_path: Path, change: tuple[str, str], field: str, expected: str) -> None:
    path = _write(tmp_path, ISSUE_EXAMPLE.replace(*change))
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    message = info.value.render()
    assert str(path) in message
    assert field in message
    assert expected in message


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\nmodels: [\n  - a: b\n")
    with pytest.raises(SuiteError, match="line"):
        load_suite(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="does not exist"):
        load_suite(tmp_path / "nope.yaml")
