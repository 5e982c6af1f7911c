"""Keys come from the whole effective config minus a documented list (judgebench.plan.NOT_IN_KEYS).

Every field of every spec is listed below with a changed value: the test then checks that the
key changes exactly when the field is not in NOT_IN_KEYS. A field added to the config without a
line here fails ``test_every_field_is_covered``: add it, and it is keyed unless documented.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from judgebench import plan
from judgebench.config import GenerationParams, JudgeSpec, ModelSpec, ServerOptions, Suite
from judgebench.hashing import content_hash
from judgebench.records import Prompt

PROMPT = Prompt("p1", ("Hello?",))

OPENAI_MODEL: dict[str, Any] = {"name": "a", "model": "m", "base_url": "http://x/v1"}
VLLM_MODEL: dict[str, Any] = {"name": "a", "model": "/ckpt/a", "provider": "vllm"}

SERVER_CHANGES: dict[str, Any] = {
    "dtype": "float16", "max_model_len": 1024, "tensor_parallel_size": 2, "gpu_memory_utilization": 0.5,
    "pipeline_parallel_size": 2, "data_parallel_size": 2, "data_parallel_backend": "ray",
    "distributed_executor_backend": "ray", "gpus": ["0"], "replicas": 2,
    "max_lora_rank": 16, "enforce_eager": False, "extra_args": ["--quantization", "fp8"],
    "env": {"VLLM_ATTENTION_BACKEND": "FLASH_ATTN"}, "startup_timeout": 30.0,
}

# path -> (base spec, changed fields)
MODEL_CHANGES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "provider": (OPENAI_MODEL, {"provider": "vllm"}),
    "model": (OPENAI_MODEL, {"model": "m2"}),
    "base_url": (OPENAI_MODEL, {"base_url": "http://y/v1"}),
    "base_urls": (OPENAI_MODEL | {"base_url": None, "base_urls": ["http://x/v1", "http://x2/v1"]},
                  {"base_urls": ["http://x/v1", "http://x3/v1", "http://x4/v1"]}),
    "api_key_env": (OPENAI_MODEL, {"api_key_env": "OTHER_KEY"}),
    "concurrency": (OPENAI_MODEL, {"concurrency": 3}),
    "timeout": (OPENAI_MODEL, {"timeout": 5.0}),
    "prices": (OPENAI_MODEL, {"prices": {"input_per_mtok": 1.0}}),
    "name": (OPENAI_MODEL, {"name": "renamed"}),
    "system_prompt": (OPENAI_MODEL, {"system_prompt": "Be brief."}),
    "generation": (OPENAI_MODEL, {"generation": {"max_tokens": 7}}),
    "training": (OPENAI_MODEL, {"training": {"dataset": "lima", "examples": 1000}}),
    "base": (VLLM_MODEL, {"base": "/ckpt/base", "adapter": "/ckpt/lora"}),
    "adapter": (VLLM_MODEL | {"base": "/ckpt/base", "adapter": "/ckpt/lora"}, {"adapter": "/ckpt/lora2"}),
    **{f"server.{k}": (VLLM_MODEL, {"server": {k: v}}) for k, v in SERVER_CHANGES.items()},
}

JUDGE: dict[str, Any] = {"model": "judge", "base_url": "http://j/v1", "temperature": 0.5}
JUDGE_CHANGES: dict[str, dict[str, Any]] = {
    "provider": {"provider": "vllm"},
    "model": {"model": "judge-2"},
    "base_url": {"base_url": "http://k/v1"},
    "base_urls": {"base_url": None, "base_urls": ["http://j/v1", "http://j2/v1"]},
    "api_key_env": {"api_key_env": "OTHER_KEY"},
    "concurrency": {"concurrency": 2},
    "timeout": {"timeout": 9.0},
    "prices": {"prices": {"output_per_mtok": 2.0}},
    "rubric": {"rubric": "prompts/pairwise.j2"},
    "protocol": {"protocol": "lima"},
    "orders": {"orders": "random"},
    "temperature": {"temperature": 0.7},
    "max_tokens": {"max_tokens": 64},
    "samples": {"samples": 3},
    "seed": {"seed": 7},
    "logprobs": {"logprobs": True},
    "structured": {"structured": False},
    "reasoning": {"reasoning": False},
    "max_parse_retries": {"max_parse_retries": 5},
    "system_prompt": {"system_prompt": "You are strict."},
    "scoring": {"scoring": "debiased-logprob", "logprobs": True},
    "validation": {"validation": [{"name": "set", "pairs": "/data/pairs.json"}]},
    **{f"server.{k}": {"server": {k: v}} for k, v in SERVER_CHANGES.items()},
}

PARAM_CHANGES: dict[str, dict[str, Any]] = {
    "max_tokens": {"max_tokens": 9}, "temperature": {"temperature": 0.3}, "top_p": {"top_p": 0.9},
    "seed": {"seed": 1}, "stop": {"stop": ["\n"]}, "samples": {"samples": 4},
    "extra_body": {"extra_body": {"repetition_penalty": 1.1}},
}


def leaf_paths(model: type[BaseModel]) -> set[str]:
    out = set()
    for name, info in model.model_fields.items():
        if info.annotation is ServerOptions:
            out |= {f"{name}.{sub}" for sub in ServerOptions.model_fields}
        else:
            out.add(name)
    return out


def test_every_field_is_covered() -> None:
    assert leaf_paths(ModelSpec) == set(MODEL_CHANGES), "list the new ModelSpec field in MODEL_CHANGES"
    assert leaf_paths(JudgeSpec) == set(JUDGE_CHANGES), "list the new JudgeSpec field in JUDGE_CHANGES"
    assert leaf_paths(GenerationParams) == set(PARAM_CHANGES), "list the new field in PARAM_CHANGES"
    for kind, documented in plan.NOT_IN_KEYS.items():
        known = {"model": MODEL_CHANGES, "judge": JUDGE_CHANGES, "generation": PARAM_CHANGES}[kind]
        assert set(documented) <= set(known), f"NOT_IN_KEYS[{kind!r}] names fields that do not exist"
        assert all(len(why) > 10 for why in documented.values()), "say why the field cannot change an output"


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in change.items():
        out[k] = (out.get(k) or {}) | v if isinstance(v, dict) and k == "server" else v
    return out


@pytest.mark.parametrize("path", sorted(MODEL_CHANGES))
def test_a_model_field_changes_the_response_key_unless_documented(path: str) -> None:
    base, change = MODEL_CHANGES[path]
    params = GenerationParams()
    before = plan.response_key(ModelSpec(**base), params, PROMPT, 0)
    after = plan.response_key(ModelSpec(**_merge(base, change)), params, PROMPT, 0)
    assert (before != after) == (path not in plan.NOT_IN_KEYS["model"]), path


@pytest.mark.parametrize("path", sorted(JUDGE_CHANGES))
def test_a_judge_field_changes_the_judgment_key_unless_documented(path: str) -> None:
    change = JUDGE_CHANGES[path]
    before = plan.JudgmentKeys(JudgeSpec(**JUDGE), "rubric").key("r1", "r2", "AB", 0)
    changed = JudgeSpec(**_merge(JUDGE, change))
    after = plan.JudgmentKeys(changed, "rubric").key("r1", "r2", "AB", 0)
    # scoring's change also turns logprobs on (debiased scoring reads them): that part is keyed.
    expected = path not in plan.NOT_IN_KEYS["judge"] or path == "scoring"
    assert (before != after) == expected, path


@pytest.mark.parametrize("path", sorted(PARAM_CHANGES))
def test_a_sampling_parameter_changes_the_response_key_unless_documented(path: str) -> None:
    spec = ModelSpec(**OPENAI_MODEL)
    before = plan.response_key(spec, GenerationParams(), PROMPT, 0)
    after = plan.response_key(spec, GenerationParams(**PARAM_CHANGES[path]), PROMPT, 0)
    assert (before != after) == (path not in plan.NOT_IN_KEYS["generation"]), path


def test_judge_seed_and_vllm_dtype_rejudge_concurrency_and_timeouts_do_not() -> None:
    def key(**judge: Any) -> str:
        return plan.JudgmentKeys(JudgeSpec(**judge), "rubric").key("r1", "r2", "BA", 0)

    vllm = {"provider": "vllm", "model": "/ckpt/judge"}
    assert key(**vllm, seed=1) != key(**vllm) != key(**vllm, server={"dtype": "bfloat16"})
    assert key(**vllm, seed=1) != key(**vllm, seed=2)
    assert key(**vllm) == key(**vllm, concurrency=2, timeout=1.0, server={"startup_timeout": 5.0})


def test_replicas_are_named_by_their_first_url() -> None:
    one = ModelSpec(name="a", model="m", base_url="http://x/v1")
    replicas = ModelSpec(name="a", model="m", base_urls=["http://x/v1/", "http://y/v1"])
    assert plan.response_key(one, GenerationParams(), PROMPT, 0) == plan.response_key(replicas, GenerationParams(), PROMPT, 0)
    judge = plan.JudgmentKeys(JudgeSpec(model="j", base_url="http://x/v1"), "r").key("a", "b", "AB", 0)
    assert judge == plan.JudgmentKeys(JudgeSpec(model="j", base_urls=["http://x/v1", "http://z/v1"]), "r").key(
        "a", "b", "AB", 0)


def test_debiased_scoring_reads_the_same_judgments_as_logprob_argmax() -> None:
    logprob = plan.JudgmentKeys(JudgeSpec(logprobs=True), "r").key("a", "b", "AB", 0)
    debiased = plan.JudgmentKeys(JudgeSpec(scoring="debiased-logprob"), "r").key("a", "b", "AB", 0)
    assert logprob == debiased != plan.JudgmentKeys(JudgeSpec(), "r").key("a", "b", "AB", 0)


def test_response_keys_are_those_stores_already_hold() -> None:
    # The v1 payload, written out: stores made before the plan module keep their responses.
    spec = ModelSpec(name="a", model="m", base_url="http://x/v1/", system_prompt="Hi.")
    params = GenerationParams(max_tokens=64, temperature=0.5)
    legacy = content_hash({
        "kind": "response", "model": {"provider": "openai", "model": "m", "base_url": "http://x/v1"},
        "system_prompt": "Hi.", "params": params.model_dump(exclude={"samples"}), "prompt": {"turns": ["Hello?"]},
        "sample": 2,
    })
    assert plan.response_key(spec, params, PROMPT, 2) == legacy
    # A field v1 did not key now joins the key when set (here: a vLLM server option).
    vllm = ModelSpec(name="a", model="/ckpt", provider="vllm", server={"dtype": "bfloat16"})
    with_args = ModelSpec(name="a", model="/ckpt", provider="vllm", server={"dtype": "bfloat16", "extra_args": ["--x"]})
    assert plan.response_key(vllm, params, PROMPT, 0) != plan.response_key(with_args, params, PROMPT, 0)


def test_keyed_defaults_are_pinned() -> None:
    # Fields at their default are left out of keys, so a default that moves would silently mean
    # something else under the same key: if this fails, bump plan.JUDGMENT_KEY_VERSION (and, for
    # model or generation defaults, give response keys a version) and update the pin.
    server = {"server.dtype": None, "server.max_model_len": None, "server.extra_args": [], "server.env": {}}
    assert plan.keyed_defaults() == {
        "model": {"provider": "openai", "base_url": None, **server, "system_prompt": None, "base": None,
                  "adapter": None},
        "judge": {"provider": "openai", "model": "builtin:smollm2-135m-instruct", "base_url": None, **server,
                  "temperature": 0.0, "max_tokens": 1024, "seed": None, "logprobs": False, "structured": True, "reasoning": True,
                  "system_prompt": None},
        "generation": {"max_tokens": 512, "temperature": 0.0, "top_p": None, "seed": None, "stop": None,
                       "extra_body": {}},
    }


def test_planning_is_lazy_and_chunked(tmp_path: Path) -> None:
    suite = Suite(name="s", prompts=tmp_path / "p.jsonl", reference="ref",
                  models=[ModelSpec(name=n, model=n, base_url="http://x/v1") for n in ("a", "b", "ref")])
    prompts = [Prompt(f"p{i}", (f"Q{i}",)) for i in range(5000)]
    from judgebench.rubrics import load_rubric

    rubric = load_rubric("pairwise")
    stream = plan.judgments(suite, prompts, rubric)
    first = next(iter(stream))
    assert (first.model, first.reference, first.prompt_id, first.order) == ("a", "ref", "p0", "AB")
    sizes = [len(c) for c in plan.chunks(plan.judgments(suite, prompts, rubric), 2048)]
    assert sum(sizes) == 2 * 5000 * 2 and max(sizes) == 2048
    keys = [j.key for c in plan.chunks(plan.judgments(suite, prompts, rubric)) for j in c]
    assert len(set(keys)) == len(keys)
