"""Runs request jobs against backends: bounded concurrency per endpoint, retries, budgets.

A job owns its own storage (it writes its result the moment it has it), so the engine only
schedules, retries, counts and decides when to stop. Stopping is always clean: no new requests
start, those in flight finish and are stored, then the reason is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from judgebench.backends.base import Backend, BackendError, ConnectionFailure
from judgebench.config import Prices, RetrySpec
from judgebench.errors import BudgetExceeded, EndpointUnavailable, RunIncomplete
from judgebench.records import Completion, CompletionRequest, Usage
from judgebench.retry import call_with_retry


class Progress(Protocol):
    """What the engine reports; the CLI renders it (rich bar or plain lines)."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def finish(self) -> None: ...


class NullProgress:
    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class Budget:
    """Request and cost limits for one invocation (``--max-requests``, ``--max-cost``).

    Cost cannot be known before a request returns, so a request is only started while the money
    spent plus the worst cost seen so far for every request in flight stays within the limit.
    """

    max_requests: int | None = None
    max_cost: float | None = None
    requests: int = 0
    cost: float = 0.0
    in_flight: int = 0
    worst_cost: float = 0.0

    def reserve(self) -> None:
        if self.max_requests is not None and self.requests >= self.max_requests:
            raise BudgetExceeded(
                f"Stopped at the request budget: {self.requests} requests sent (--max-requests {self.max_requests}).",
                "Everything received is stored; rerun (with a larger budget) to continue where this run stopped.",
            )
        if self.max_cost is not None and self.cost + (self.in_flight + 1) * self.worst_cost > self.max_cost:
            raise BudgetExceeded(
                f"Stopped at the cost budget: ${self.cost:.4f} spent of ${self.max_cost:.4f} (--max-cost).",
                "Everything received is stored; rerun (with a larger budget) to continue where this run stopped.",
            )
        self.requests += 1
        self.in_flight += 1

    def settle(self, usage: Usage | None, prices: Prices | None) -> None:
        self.in_flight -= 1
        if usage is not None and prices is not None:
            c = (usage.prompt_tokens * prices.input_per_mtok + usage.completion_tokens * prices.output_per_mtok) / 1e6
            self.cost += c
            self.worst_cost = max(self.worst_cost, c)


@dataclass
class Endpoint:
    """A backend plus how hard to drive it."""

    backend: Backend
    concurrency: int
    prices: Prices | None = None
    describe: str = ""
    check: Callable[[], None] | None = None
    """Raises a clearer error (e.g. a dead vLLM server) when connections fail."""


class Caller:
    """Handed to a job: sends one request under the retry policy and the budget."""

    def __init__(self, endpoint: Endpoint, retry: RetrySpec, budget: Budget, stats: RunStats) -> None:
        self._endpoint = endpoint
        self._retry = retry
        self._budget = budget
        self._stats = stats

    async def __call__(self, request: CompletionRequest) -> Completion:
        self._budget.reserve()
        usage: Usage | None = None
        sent = 0

        async def once() -> Completion:
            nonlocal sent
            sent += 1
            self._stats.requests_sent += 1
            return await self._endpoint.backend.complete(request)

        try:
            result = await call_with_retry(once, self._retry)
            usage = result.usage
            return result
        finally:
            self._stats.retries += max(0, sent - 1)
            self._budget.settle(usage, self._endpoint.prices)


@dataclass(frozen=True)
class Job:
    """One unit of work: ``run`` sends its request(s) and stores the result itself."""

    key: str
    endpoint: str
    run: Callable[[Caller], Awaitable[None]]
    on_error: Callable[[BackendError], None]


@dataclass
class RunStats:
    jobs: int = 0
    done: int = 0
    errors: int = 0
    requests_sent: int = 0
    retries: int = 0
    first_error: str | None = None
    errors_by_endpoint: dict[str, int] = field(default_factory=dict)


async def execute(
    jobs: Sequence[Job],
    endpoints: Mapping[str, Endpoint],
    *,
    retry: RetrySpec,
    budget: Budget,
    progress: Progress,
    stage: str,
) -> RunStats:
    """Run every job; return counts. Raises RunIncomplete subclasses after a clean stop."""
    stats = RunStats(jobs=len(jobs))
    queues: dict[str, asyncio.Queue[Job]] = {}
    for job in jobs:
        queues.setdefault(job.endpoint, asyncio.Queue()).put_nowait(job)
    stop: list[RunIncomplete] = []
    progress.start(stage, len(jobs))

    async def worker(name: str, queue: asyncio.Queue[Job]) -> None:
        endpoint = endpoints[name]
        caller = Caller(endpoint, retry, budget, stats)
        while not stop:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await job.run(caller)
            except RunIncomplete as e:  # budget
                if not stop:
                    stop.append(e)
                return
            except ConnectionFailure as e:
                job.on_error(e)
                stats.errors += 1
                if not stop:
                    stop.append(_unavailable(endpoint, e))
                return
            except BackendError as e:
                job.on_error(e)
                stats.errors += 1
                stats.errors_by_endpoint[name] = stats.errors_by_endpoint.get(name, 0) + 1
                stats.first_error = stats.first_error or f"{endpoint.describe}: {e}"
            stats.done += 1
            progress.advance()

    try:
        workers = [
            worker(name, queue)
            for name, queue in queues.items()
            for _ in range(min(endpoints[name].concurrency, queue.qsize()))
        ]
        await asyncio.gather(*workers)
    finally:
        progress.finish()
    if stop:
        raise stop[0]
    return stats


def _unavailable(endpoint: Endpoint, e: BackendError) -> RunIncomplete:
    if endpoint.check is not None:
        try:
            endpoint.check()
        except RunIncomplete as clearer:
            return clearer
    return EndpointUnavailable(
        f"Cannot reach {endpoint.describe}: {e}.",
        "Check that the server is running and `base_url` is right. Everything received so far is stored; "
        "rerun to continue.",
    )
