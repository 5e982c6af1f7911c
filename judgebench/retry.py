"""The one retry policy of the package.

Exponential backoff with full jitter, bounded by attempts and a per-request deadline that covers
everything: each attempt runs under the time left, and no sleep (backoff or a server's
Retry-After, which is honoured) lasts past it -- when the deadline is spent, the last error is
the result. Only
:class:`~judgebench.backends.base.TransientBackendError` is retried: 429, 5xx, timeouts, malformed
bodies and connection errors. 400/401/403/404 are never retried.
"""

from __future__ import annotations

import asyncio
import random
import time
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


def backoff(spec: RetrySpec, attempt: int, rng: random.Random, retry_after: float | None, remaining: float) -> float:
    """Seconds to sleep after failed attempt number ``attempt``: full jitter, at least a server's
    Retry-After, never more than ``remaining`` (the deadline's time left)."""
    exp = min(spec.max_wait, spec.initial_wait * (2.0 ** min(attempt - 1, 64)))
    delay = rng.uniform(0, exp)
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return max(0.0, min(delay, remaining))


def _wait(spec: RetrySpec, rng: random.Random, start: float) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        remaining = spec.deadline - (time.monotonic() - start)
        return backoff(spec, state.attempt_number, rng, getattr(exc, "retry_after", None), remaining)

    return wait


def policy(spec: RetrySpec, seed: int | None = None, start: float | None = None) -> AsyncRetrying:
    """A fresh tenacity controller for one request."""
    return AsyncRetrying(
        retry=retry_if_exception_type(TransientBackendError),
        stop=stop_after_attempt(spec.attempts) | stop_after_delay(spec.deadline),
        wait=_wait(spec, random.Random(seed), time.monotonic() if start is None else start),
        reraise=True,
    )


class DeadlineReached(TransientBackendError):
    """The request's total deadline (``retry.deadline``) ran out during an attempt."""


async def call_with_retry(fn: Callable[[], Awaitable[T]], spec: RetrySpec) -> T:
    """Run ``fn`` under the policy; the last exception propagates when retries are exhausted."""
    start = time.monotonic()
    async for attempt in policy(spec, start=start):
        with attempt:
            remaining = spec.deadline - (time.monotonic() - start)
            if remaining <= 0:
                raise DeadlineReached(f"the request's deadline ({spec.deadline:g} s, retry.deadline) ran out")
            try:
                async with asyncio.timeout(remaining):
                    return await fn()
            except TimeoutError:
                raise DeadlineReached(
                    f"the request's deadline ({spec.deadline:g} s, retry.deadline) ran out") from None
    raise AssertionError("unreachable")  # pragma: no cover
