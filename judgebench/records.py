"""Frozen records passed between stages. Plain data: no I/O, no behaviour beyond conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "error", "parse_failure"]


@dataclass(frozen=True)
class Prompt:
    """One prompt of a suite; ``turns`` has one entry for single-turn prompts."""

    id: str
    turns: tuple[str, ...]
    category: str = ""
    reference_answer: str | None = None

    @property
    def text(self) -> str:
        """The whole user side, for display and search."""
        return "\n\n".join(self.turns)

    def content(self) -> dict[str, Any]:
        """What goes into a response key: the content, never the id (ids can be renamed)."""
        return {"turns": list(self.turns)}


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str

    def to_openai(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)


@dataclass(frozen=True)
class CompletionRequest:
    """One chat request, backend-neutral."""

    model: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    json_schema: dict[str, Any] | None = None
    schema_name: str = "verdict"
    top_logprobs: int | None = None


@dataclass(frozen=True)
class TokenLogprobs:
    """The top alternatives at one generated position: token -> logprob."""

    token: str
    top: dict[str, float]


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage = Usage()
    finish_reason: str | None = None
    logprobs: tuple[TokenLogprobs, ...] | None = None


@dataclass(frozen=True)
class Verdict:
    """A parsed judge answer in the *presented* frame (A = first shown)."""

    label: str
    preference_a: float | None = None
    """Probability-like preference for A over B in [0, 1] (pairwise protocols)."""
    score: float | None = None
    """Single-answer protocols: the grade."""
    reasoning: str = ""


@dataclass(frozen=True)
class TrainingInfo:
    dataset: str | None = None
    examples: int | None = None
    curated: bool | None = None
    base_model: str | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What reports need to know about a model, beyond its results."""

    name: str
    is_reference: bool = False
    is_canary: bool = False
    training: TrainingInfo | None = None
