"""The backend seam and the exceptions backends raise, classified by type (never by text)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from judgebench.records import Completion, CompletionRequest


class BackendError(Exception):
    """A request failed. ``status`` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientBackendError(BackendError):
    """Worth retrying: 429, 5xx, timeouts, malformed bodies. ``retry_after`` in seconds if given."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class ConnectionFailure(TransientBackendError):
    """The endpoint could not be reached at all (refused, DNS, reset before a response)."""


class PermanentBackendError(BackendError):
    """Never retried: 400, 401, 403, 404, 422 -- the request or credentials are wrong."""


@runtime_checkable
class Backend(Protocol):
    """Anything that answers chat requests. Capabilities are attributes, not subclasses."""

    name: str
    supports_json_schema: bool
    supports_logprobs: bool

    async def complete(self, request: CompletionRequest) -> Completion: ...

    async def aclose(self) -> None: ...
