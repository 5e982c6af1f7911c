"""An in-process backend for unit tests: a function from request to text, with counters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from judgebench.records import Completion, CompletionRequest, Usage

Responder = Callable[[CompletionRequest], "str | Completion | Awaitable[str | Completion]"]


class FakeBackend:
    """Answers with ``responder(request)``; counts calls. Raise from the responder to inject faults."""

    supports_json_schema = True
    supports_logprobs = False

    def __init__(self, responder: Responder, name: str = "fake") -> None:
        self.name = name
        self._responder = responder
        self.calls: list[CompletionRequest] = []

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls.append(request)
        out: Any = self._responder(request)
        if hasattr(out, "__await__"):
            out = await out
        if isinstance(out, Completion):
            return out
        text = str(out)
        return Completion(text=text, usage=Usage(sum(len(m.content) for m in request.messages) // 4, len(text) // 4))

    async def aclose(self) -> None:
        return None
