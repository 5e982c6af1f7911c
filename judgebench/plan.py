"""The plan: what a suite needs, and the one place that says what a response or a judgment *is*.

A key is the content hash of a job's whole effective config -- every field of the model (or
judge) spec and its sampling parameters -- minus the fields in :data:`NOT_IN_KEYS`, which are
documented there as unable to change an output. So a config field added tomorrow is part of
every key by default: forgetting to list it re-runs work, it never serves a stale result.

Fields left at their default value are omitted from the hashed form. That keeps stores valid
when a new field (with a default) is added, and it is why a *changed default* must bump
:data:`JUDGMENT_KEY_VERSION` (the test ``test_keyed_defaults_are_pinned`` says so when one moves).

Planning is lazy: :func:`responses` and :func:`judgments` yield one item at a time and
:func:`chunks` cuts them into lists of :data:`CHUNK` items, so what a stage holds in memory is
flat in the number of prompts and judgments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from pydantic import BaseModel

from judgebench.config import EndpointSpec, GenerationParams, JudgeSpec, ModelSpec, Suite
from judgebench.hashing import content_hash
from judgebench.records import Prompt
from judgebench.redaction import redact_url
from judgebench.rubrics import Rubric

JUDGMENT_KEY_VERSION = 2
"""Bumped when judgment keys change meaning. v2 (2026-12): the whole judge config is keyed
(v1 left out ``seed``, server options such as ``dtype``, and any field added since)."""

CHUNK = 2048
"""Jobs planned, looked up and built at a time: enough for a full batch at any concurrency,
small enough that memory does not grow with the size of a suite."""

_ENDPOINT = {
    "base_urls": "replicas of one model: the first is keyed (as base_url), the others serve the same answers",
    "concurrency": "how many requests are in flight, not what they say",
    "timeout": "how long a request may take before it is retried",
    "prices": "cost accounting for --max-cost",
    "api_key_env": "which variable holds the credential; the same model answers",
    "server.startup_timeout": "how long to wait for a vLLM server to start",
    "server.tensor_parallel_size": "how the weights are split over GPUs (like batching, it changes "
                                   "float rounding, not the model or its sampling)",
    "server.pipeline_parallel_size": "how the layers are split over devices (like batching: rounding, not the model)",
    "server.data_parallel_size": "how many engines serve the same weights",
    "server.data_parallel_backend": "how those engines are started",
    "server.distributed_executor_backend": "how workers are started (processes or a Ray cluster)",
    "server.gpus": "which devices the server runs on",
    "server.replicas": "how many identical servers share the load",
    "server.gpu_memory_utilization": "KV-cache size, i.e. how many requests batch together",
    "server.enforce_eager": "CUDA graphs or not: speed, not the model",
    "server.max_lora_rank": "an upper bound the server reserves; the adapter's own rank is used",
}

NOT_IN_KEYS: Mapping[str, Mapping[str, str]] = {
    "model": _ENDPOINT | {
        "name": "a display name: renaming a model keeps its results",
        "training": "metadata for the curated-versus-large analysis",
        "generation": "the per-model overrides; keyed as the resolved sampling parameters",
    },
    "judge": _ENDPOINT | {
        "rubric": "the rubric's file or name; its content hash (template, protocol, schema) is keyed",
        "protocol": "likewise covered by the rubric hash",
        "orders": "which orders are planned; each judgment keys its own order",
        "samples": "how many repeats are planned; each judgment keys its own sample index",
        "max_parse_retries": "how often a parse failure is re-requested",
        "scoring": "how stored verdicts are read (debiased scoring keys the logprobs it needs)",
        "validation": "which labelled sets check the judge",
    },
    "generation": {
        "samples": "how many samples are planned; each response keys its own sample index",
    },
}
"""Per kind of spec: field path -> why it cannot change an output. Everything else is keyed."""

_ALWAYS = frozenset({"provider", "model"})
"""Keyed even at their default value (a judge's model has a default; its name is its identity)."""

_LEGACY_MODEL = frozenset({"provider", "model", "base_url", "base", "adapter", "server.dtype", "system_prompt"})
# (``base_url`` is keyed for provider openai only: a vLLM server judgebench starts is found by its
# checkpoint, and the URL it happens to get is no part of its identity.)
_LEGACY_PARAMS = ("max_tokens", "temperature", "top_p", "seed", "stop", "extra_body")
"""What response keys have always held (kept exactly, so stores keep their responses); any other
keyed field joins a response key under ``"more"`` when it is set."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def keyed_fields(spec: BaseModel, excluded: Iterable[str], always: frozenset[str] = frozenset(),
                 prefix: str = "") -> dict[str, Any]:
    """``spec`` as a dict of the fields that go into a key: excluded paths dropped, defaults omitted."""
    skip = set(excluded)
    out: dict[str, Any] = {}
    for name, info in type(spec).model_fields.items():
        path = prefix + name
        if path in skip:
            continue
        value = getattr(spec, name)
        if name == "base_url" and isinstance(spec, EndpointSpec):
            value = spec.primary_url  # replicas (base_urls) are named by their first URL
        if isinstance(value, BaseModel):
            nested = keyed_fields(value, skip, frozenset(), path + ".")
            if nested:
                out[name] = nested
            continue
        if name == "base_url" and isinstance(value, str):
            value = str(redact_url(value)).rstrip("/")  # keys and manifests never hold credentials
        if path not in always and not info.is_required() and value == info.get_default(call_default_factory=True):
            continue
        out[name] = _jsonable(value)
    return out


def _drop(d: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in d.items()}
    for path in paths:
        head, _, tail = path.partition(".")
        if tail and isinstance(out.get(head), dict):
            out[head].pop(tail, None)
            if not out[head]:
                out.pop(head)
        elif not tail:
            out.pop(head, None)
    return out


# -- responses --------------------------------------------------------------------------------


def model_identity(spec: ModelSpec) -> dict[str, Any]:
    """Which weights answer, where: the legacy core of a response key (also shown in manifests)."""
    ident: dict[str, Any] = {"provider": spec.provider, "model": spec.model}
    if spec.provider == "openai":
        ident["base_url"] = (redact_url(spec.primary_url) or "default").rstrip("/")  # no credentials in manifests
    if spec.adapter or spec.base:
        ident |= {"base": spec.base, "adapter": spec.adapter}
    if spec.provider == "vllm" and spec.server.dtype:
        ident["dtype"] = spec.server.dtype
    return ident


class ResponseKeys:
    """Response keys of one model under one set of sampling parameters (the constant part hashed once)."""

    def __init__(self, spec: ModelSpec, params: GenerationParams) -> None:
        more = _drop(keyed_fields(spec, NOT_IN_KEYS["model"]), _LEGACY_MODEL)
        params_more = {k: v for k, v in keyed_fields(params, NOT_IN_KEYS["generation"]).items()
                       if k not in _LEGACY_PARAMS}
        if params_more:
            more["params"] = params_more
        self._base: dict[str, Any] = {
            "kind": "response",
            "model": model_identity(spec),
            "system_prompt": spec.system_prompt,
            "params": params.model_dump(include=set(_LEGACY_PARAMS)),
        }
        if more:
            self._base["more"] = more

    def key(self, prompt: Prompt, sample: int) -> str:
        """Content key: model identity, sampling params, system prompt, prompt content, sample index."""
        return content_hash(self._base | {"prompt": prompt.content(), "sample": sample})


def response_key(spec: ModelSpec, params: GenerationParams, prompt: Prompt, sample: int) -> str:
    return ResponseKeys(spec, params).key(prompt, sample)


@dataclass(frozen=True, slots=True)
class PlannedResponse:
    model: str
    prompt_id: str
    sample: int
    key: str


def responses(suite: Suite, prompts: Sequence[Prompt], models: Sequence[ModelSpec] | None = None) -> Iterator[PlannedResponse]:
    """Every response the suite needs, model by model, in a stable order."""
    for spec in models if models is not None else suite.models:
        params = suite.generation_for(spec)
        keys = ResponseKeys(spec, params)
        for prompt in prompts:
            for s in range(params.samples):
                yield PlannedResponse(spec.name, prompt.id, s, keys.key(prompt, s))


# -- judgments --------------------------------------------------------------------------------


def effective_judge(judge: JudgeSpec) -> JudgeSpec:
    """The judge as it is asked: debiased-logprob scoring reads logprobs, so it asks for them."""
    if judge.scoring == "debiased-logprob" and not judge.logprobs:
        return judge.model_copy(update={"logprobs": True})
    return judge


def judge_identity(judge: JudgeSpec) -> dict[str, Any]:
    """Everything about the judge that can change a verdict: its whole config minus NOT_IN_KEYS."""
    return keyed_fields(effective_judge(judge), NOT_IN_KEYS["judge"], _ALWAYS)


class JudgmentKeys:
    """Judgment keys under one judge and rubric (their identity hashed into every key)."""

    def __init__(self, judge: JudgeSpec, rubric_hash: str) -> None:
        self._base = {"kind": "judgment", "v": JUDGMENT_KEY_VERSION, "judge": judge_identity(judge),
                      "rubric": rubric_hash}

    def key(self, first: str, second: str | None, order: str, sample: int) -> str:
        """Content key: the judge, the rubric hash, both response keys as shown, order, sample."""
        return content_hash(self._base | {"responses": [first, second], "order": order, "sample": sample})


Order = str
""""AB": the model is shown as A; "BA": the model is shown as B; "" for single-answer protocols."""


@dataclass(frozen=True, slots=True)
class PlannedJudgment:
    model: str
    reference: str  # "" for single-answer protocols
    prompt_id: str
    order: Order
    sample: int
    key: str
    model_response: str
    reference_response: str | None

    @property
    def shown(self) -> tuple[str, str | None]:
        """The response keys as the judge sees them: (first, second)."""
        if self.reference_response is None:
            return self.model_response, None
        if self.order == "AB":
            return self.model_response, self.reference_response
        return self.reference_response, self.model_response


def orders_for(judge: JudgeSpec, model: str, prompt_id: str) -> tuple[Order, ...]:
    import random

    if judge.orders == "both":
        return ("AB", "BA")
    if judge.orders == "AB":
        return ("AB",)
    rng = random.Random(content_hash({"seed": judge.seed or 0, "model": model, "prompt": prompt_id}))
    return (rng.choice(("AB", "BA")),)


def judged_models(suite: Suite, rubric: Rubric, models: Sequence[str] | None = None) -> list[str]:
    """The models that get judgments: references too under single-answer protocols, else not."""
    names = list(models) if models is not None else [m.name for m in suite.models]
    if rubric.protocol.kind == "single":
        return names
    return [n for n in names if n not in suite.references]


def judgments(suite: Suite, prompts: Sequence[Prompt], rubric: Rubric,
              models: Sequence[str] | None = None) -> Iterator[PlannedJudgment]:
    """Every judgment the suite needs, model by model, in a stable order."""
    judge = suite.judge
    keys = JudgmentKeys(judge, rubric.hash)
    pairwise = rubric.protocol.kind == "pairwise"
    refs = suite.references
    ref_keys = {r: ResponseKeys(suite.model(r), suite.generation_for(suite.model(r))) for r in refs}
    for name in judged_models(suite, rubric, models):
        spec = suite.model(name)
        mine = ResponseKeys(spec, suite.generation_for(spec))
        for prompt in prompts:
            mkey = mine.key(prompt, 0)
            if not pairwise:
                for s in range(judge.samples):
                    yield PlannedJudgment(name, "", prompt.id, "", s, keys.key(mkey, None, "", s), mkey, None)
                continue
            for ref in refs:
                rkey = ref_keys[ref].key(prompt, 0)
                for order in orders_for(judge, name, prompt.id):
                    first, second = (mkey, rkey) if order == "AB" else (rkey, mkey)
                    for s in range(judge.samples):
                        yield PlannedJudgment(name, ref, prompt.id, order, s, keys.key(first, second, order, s),
                                              mkey, rkey)


T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size`` (the last one shorter)."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def keyed_defaults() -> dict[str, dict[str, Any]]:
    """The default of every keyed field (what an omitted field means), for the pinning test."""
    from judgebench.config import ServerOptions

    def defaults(model: type[BaseModel], kind: str, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            path = prefix + name
            if path in NOT_IN_KEYS[kind] or info.is_required():
                continue
            if path == "server":
                out |= defaults(ServerOptions, kind, "server.")
                continue
            out[path] = _jsonable(info.get_default(call_default_factory=True))
        return out

    return {"model": defaults(ModelSpec, "model"), "judge": defaults(JudgeSpec, "judge"),
            "generation": defaults(GenerationParams, "generation")}
