"""The one retry policy of the package.

Exponential backoff with full jitter, bounded by attempts and a per-request deadline; a server's
Retry-After is honoured (waited at least, capped by the deadline). Only
:class:`~judgebench.backends.base.TransientBackendError` is retried: 429, 5xx, timeouts, malformed
bodies and connection errors. 400/401/403/404 are never retried.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from judgebench.backends.base import TransientBackendError
from judgebench.config import RetrySpec

T = TypeVar("T")


def _wait(spec: RetrySpec, rng: random.Random) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exp = min(spec.max_wait, spec.initial_wait * (2 ** (state.attempt_number - 1)))
        delay = rng.uniform(0, exp)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, min(float(retry_after), spec.deadline))
        return delay

    return wait


def policy(spec: RetrySpec, seed: int | None = None) -> AsyncRetrying:
    """A fresh tenacity controller for one request."""
    return AsyncRetrying(
        retry=retry_if_exception_type(TransientBackendError),
        stop=stop_after_attempt(spec.attempts) | stop_after_delay(spec.deadline),
        wait=_wait(spec, random.Random(seed)),
        reraise=True,
    )


async def call_with_retry(fn: Callable[[], Awaitable[T]], spec: RetrySpec) -> T:
    """Run ``fn`` under the policy; the last exception propagates when retries are exhausted."""
    async for attempt in policy(spec):
        with attempt:
            return await fn()
    raise AssertionError("unreachable")  # pragma: no cover
