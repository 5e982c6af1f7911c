"""Runs request jobs against backends: bounded concurrency per endpoint, retries, budgets.

A job owns its own storage (it writes its result the moment it has it), so the engine only
schedules, retries, counts and decides when to stop. Stopping is always clean: no new requests
start, those in flight finish and are stored, then the reason is raised.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from judgebench.backends.base import Backend, BackendError, ConnectionFailure
from judgebench.config import Prices, RetrySpec
from judgebench.errors import BudgetExceeded, EndpointUnavailable, JudgebenchError, RunIncomplete
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


TOKEN_OVERHEAD = 16
"""Tokens a chat template may add around one message (role markers); used in cost bounds."""


def input_tokens_bound(request: CompletionRequest) -> int:
    """An upper bound on the prompt tokens of ``request``: a byte-level tokenizer never needs more
    tokens than UTF-8 bytes, chat templates add a few per message, and a JSON schema is sent too."""
    n = TOKEN_OVERHEAD + sum(len(m.content.encode()) + TOKEN_OVERHEAD for m in request.messages)
    if request.json_schema is not None:
        n += len(json.dumps(request.json_schema).encode())
    return n


def cost_of(prompt_tokens: int, completion_tokens: int, prices: Prices | None) -> float:
    if prices is None:
        return 0.0
    return (prompt_tokens * prices.input_per_mtok + completion_tokens * prices.output_per_mtok) / 1e6


@dataclass
class Budget:
    """Request and cost limits for one invocation (``--max-requests``, ``--max-cost``).

    A job reserves all its requests before its first one starts (a multi-turn prompt needs every
    turn, or what it received is lost), and, under a cost limit, the worst case of their cost
    (prompt bytes + ``max_tokens``): so the money spent never passes the limit, whatever the
    requests in flight turn out to cost. What a job does not use is released when it ends.
    """

    max_requests: int | None = None
    max_cost: float | None = None
    requests: int = 0
    cost: float = 0.0
    reserved: float = 0.0
    """Worst-case cost of the requests reserved and not yet answered."""

    def reserve(self, n: int = 1, bound: float = 0.0) -> None:
        if self.max_requests is not None and self.requests + n > self.max_requests:
            raise BudgetExceeded(
                f"Stopped at the request budget: {self.requests} requests sent (--max-requests {self.max_requests}).",
                "Everything received is stored; rerun (with a larger budget) to continue where this run stopped.",
            )
        if self.max_cost is not None and self.cost + self.reserved + bound > self.max_cost:
            raise BudgetExceeded(
                f"Stopped at the cost budget: ${self.cost:.4f} spent of ${self.max_cost:.4f} (--max-cost); "
                f"the next request could cost up to ${bound:.4f}.",
                "Everything received is stored; rerun (with a larger budget) to continue where this run stopped.",
            )
        self.requests += n
        self.reserved += bound

    def settle(self, usage: Usage | None, prices: Prices | None) -> None:
        """Count the cost of one answered request."""
        if usage is not None:
            self.cost += cost_of(usage.prompt_tokens, usage.completion_tokens, prices)

    def release(self, n: int, bound: float) -> None:
        """Give back what a job reserved and did not send, and its cost reservation."""
        self.requests -= n
        self.reserved -= bound


@dataclass
class Endpoint:
    """A lane: a backend (which server) plus how hard one role may drive it (how many requests).

    Roles that share a server (a model and the judge on one vLLM server) get a lane each, with
    the same backend and their own ``concurrency``.
    """

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
        self.prepaid = 0
        """Requests the running job already reserved (see :meth:`Budget.reserve`)."""

    async def __call__(self, request: CompletionRequest) -> Completion:
        bound = 0.0
        if self.prepaid > 0:
            self.prepaid -= 1
        else:
            if self._budget.max_cost is not None:
                bound = cost_of(input_tokens_bound(request), request.max_tokens, self._endpoint.prices)
            self._budget.reserve(1, bound)
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
            self._budget.release(0, bound)


@dataclass(frozen=True)
class Job:
    """One unit of work: ``run`` sends its request(s) and stores the result itself."""

    key: str
    endpoint: str
    run: Callable[[Caller], Awaitable[None]]
    on_error: Callable[[BackendError], None]
    requests: int = 1
    """Requests ``run`` sends (one per turn); all are reserved from the budget before it starts."""
    tokens_bound: tuple[int, int] = (0, 0)
    """Upper bounds on the prompt and completion tokens of all its requests (for --max-cost)."""


@dataclass
class RunStats:
    jobs: int = 0
    done: int = 0
    errors: int = 0
    requests_sent: int = 0
    retries: int = 0
    first_error: str | None = None
    errors_by_endpoint: dict[str, int] = field(default_factory=dict)


@dataclass
class StageResult:
    stage: str
    planned: int
    requested: int
    stats: RunStats | None = None
    blocked: int = 0


def add_stats(total: RunStats, more: RunStats) -> RunStats:
    """Counts of two runs of one stage (its server waves) as one."""
    errors = dict(total.errors_by_endpoint)
    for k, v in more.errors_by_endpoint.items():
        errors[k] = errors.get(k, 0) + v
    return RunStats(jobs=total.jobs + more.jobs, done=total.done + more.done, errors=total.errors + more.errors,
                    requests_sent=total.requests_sent + more.requests_sent, retries=total.retries + more.retries,
                    first_error=total.first_error or more.first_error, errors_by_endpoint=errors)


async def execute(
    jobs: Iterable[Job] | Mapping[str, Iterable[Job]],
    endpoints: Mapping[str, Endpoint],
    *,
    retry: RetrySpec,
    budget: Budget,
    progress: Progress,
    stage: str,
    total: int | None = None,
) -> RunStats:
    """Run every job; return counts. Raises RunIncomplete subclasses after a clean stop.

    ``jobs`` is either a collection of jobs (grouped by their ``endpoint``) or, to keep memory
    flat, one lazy iterator per endpoint (``total`` then says how many to expect, for progress):
    a worker pulls the next job when it is free, so only the jobs in flight are held.
    """
    lanes: dict[str, Iterator[Job]] = {}
    sizes: dict[str, int] = {}
    if isinstance(jobs, Mapping):
        lanes = {name: iter(stream) for name, stream in jobs.items()}
    else:
        grouped: dict[str, list[Job]] = {}
        for job in jobs:
            grouped.setdefault(job.endpoint, []).append(job)
        lanes = {name: iter(group) for name, group in grouped.items()}
        sizes = {name: len(group) for name, group in grouped.items()}
        total = sum(sizes.values())
    stats = RunStats(jobs=total or 0)
    stop: list[JudgebenchError] = []
    progress.start(stage, total or 0)

    async def worker(name: str, lane: Iterator[Job]) -> None:
        endpoint = endpoints[name]
        caller = Caller(endpoint, retry, budget, stats)
        while not stop:
            try:
                job = next(lane, None)
            except JudgebenchError as e:  # planning the next chunk failed (the store, a template)
                if not stop:
                    stop.append(e)
                return
            if job is None:
                return
            bound = cost_of(*job.tokens_bound, endpoint.prices) if budget.max_cost is not None else 0.0
            try:
                budget.reserve(job.requests, bound)
            except RunIncomplete as e:
                if not stop:
                    stop.append(e)
                return
            caller.prepaid = job.requests
            try:
                await job.run(caller)
            except RunIncomplete as e:  # budget (a job that sends more than it reserved), store errors
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
            except Exception as e:  # noqa: BLE001 -- whatever an answer makes go wrong fails this job only
                failure = _unexpected(e)
                try:
                    job.on_error(failure)
                except RunIncomplete as stopped:  # the store itself failed: stop cleanly
                    if not stop:
                        stop.append(stopped)
                    return
                stats.errors += 1
                stats.errors_by_endpoint[name] = stats.errors_by_endpoint.get(name, 0) + 1
                stats.first_error = stats.first_error or f"{endpoint.describe}: {failure}"
            finally:
                budget.release(caller.prepaid, bound)
                caller.prepaid = 0
            stats.done += 1
            progress.advance()

    try:
        workers = [
            worker(name, lane)
            for name, lane in lanes.items()
            for _ in range(min(endpoints[name].concurrency, sizes.get(name, endpoints[name].concurrency)))
        ]
        await asyncio.gather(*workers)
    finally:
        progress.finish()
    if stop:
        raise stop[0]
    return stats


def _unexpected(e: Exception) -> BackendError:
    """A job's unexpected exception as an error record's text (type and a short, storable message)."""
    text = str(e).encode("utf-8", "replace").decode("utf-8")[:200]
    return BackendError(f"the answer could not be handled ({type(e).__name__}: {text})")


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
