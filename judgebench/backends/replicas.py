"""Several endpoints serving one model, as one backend: least-loaded routing and fail-over.

Why here and not in the engine: a replica set answers exactly like one server (the same model,
so the same content keys), only faster; the engine keeps one queue, one concurrency limit and one
retry policy per endpoint, and this backend decides, per request, which replica sends it.

* Routing: the replica with the fewest requests in flight (ties: the one that served fewest).
* A replica that cannot be reached (connection refused, reset), or that fails
  ``failures_to_eject`` transient errors in a row (5xx, timeouts), is taken out of rotation with
  a warning on the ``judgebench`` logger. A refused connection fails over at once to another
  replica; other transient errors go back to the retry policy, whose next try picks again.
* After a cooldown (``cooldown`` s, doubling per repeated failure up to ``max_cooldown``) one
  probe request may go to it; success puts it back in rotation (with a notice), failure sends it
  out again. When every replica is out, the one whose cooldown ends first is tried, so a replica
  set that is down behaves like one server that is down (the retry policy, then a clean stop).
* Permanent errors (400, 401, 404...) are the request's fault, never the replica's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from judgebench.backends.base import Backend, BackendError, ConnectionFailure, TransientBackendError
from judgebench.records import Completion, CompletionRequest

log = logging.getLogger("judgebench.replicas")


@dataclass
class Replica:
    backend: Backend
    label: str
    in_flight: int = 0
    served: int = 0
    failures: int = 0
    """Transient failures in a row (reset by any answer)."""
    out_until: float | None = None
    """When it may be probed again; None while it is in rotation."""
    cooldown: float = 0.0
    probing: bool = False


class ReplicaBackend:
    """One backend over ``backends`` (same model on each). ``describe`` names them in warnings."""

    def __init__(
        self,
        backends: Sequence[Backend],
        labels: Sequence[str],
        *,
        describe: str,
        name: str | None = None,
        cooldown: float = 5.0,
        max_cooldown: float = 60.0,
        failures_to_eject: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not backends or len(backends) != len(labels):
            raise ValueError("ReplicaBackend needs one label per backend, and at least one backend")
        self.replicas = [Replica(b, lab) for b, lab in zip(backends, labels, strict=True)]
        self.name = name or f"replicas({', '.join(labels)})"
        self.describe = describe
        self.supports_json_schema = all(b.supports_json_schema for b in backends)
        self.supports_logprobs = all(b.supports_logprobs for b in backends)
        self._cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._failures_to_eject = failures_to_eject
        self._clock = clock

    # -- routing ---------------------------------------------------------------------------------

    def in_rotation(self) -> list[str]:
        return [r.label for r in self.replicas if r.out_until is None]

    def pick(self, exclude: Collection[int] = ()) -> Replica | None:
        """The replica for the next request, or None when all not in ``exclude`` are out and none
        may be probed (``exclude``: indices that already failed this request)."""
        now = self._clock()
        candidates = [(i, r) for i, r in enumerate(self.replicas) if i not in exclude]
        probe = [(i, r) for i, r in candidates if r.out_until is not None and not r.probing]
        due = [(i, r) for i, r in probe if r.out_until is not None and r.out_until <= now]
        if due:  # cooldown over: one probe request, before any other replica is picked
            return min(due, key=lambda ir: (ir[1].out_until or 0.0, ir[0]))[1]
        live = [(i, r) for i, r in candidates if r.out_until is None]
        if live:
            return min(live, key=lambda ir: (ir[1].in_flight, ir[1].served, ir[0]))[1]
        if probe and len(probe) == len(self.replicas):  # every replica is out: try the one back soonest
            return min(probe, key=lambda ir: (ir[1].out_until or 0.0, ir[0]))[1]
        return None

    async def complete(self, request: CompletionRequest) -> Completion:
        tried: set[int] = set()
        last: BackendError | None = None
        while True:
            replica = self.pick(tried)
            if replica is None:
                raise last or ConnectionFailure(
                    f"every replica of {self.describe} is out of rotation ({', '.join(r.label for r in self.replicas)})")
            index = self.replicas.index(replica)
            probing = replica.out_until is not None
            replica.probing = replica.probing or probing
            replica.in_flight += 1
            try:
                result = await replica.backend.complete(request)
            except ConnectionFailure as e:
                self._failed(replica, e, eject=True)
                tried.add(index)
                last = e
                if len(tried) == len(self.replicas):
                    raise
                continue  # fail over at once: this request never reached a server
            except TransientBackendError as e:
                self._failed(replica, e, eject=probing or replica.failures + 1 >= self._failures_to_eject)
                raise
            except BackendError:
                self._answered(replica)  # the server answered; the request was wrong
                raise
            finally:
                replica.in_flight -= 1
                if probing:
                    replica.probing = False
            self._answered(replica)
            return result

    # -- health ------------------------------------------------------------------------------------

    def _answered(self, replica: Replica) -> None:
        replica.served += 1
        replica.failures = 0
        if replica.out_until is not None:
            replica.out_until = None
            replica.cooldown = 0.0
            log.warning("warning: %s: replica %s answers again and is back in rotation (%d of %d in rotation).",
                        self.describe, replica.label, len(self.in_rotation()), len(self.replicas))

    def _failed(self, replica: Replica, error: BackendError, *, eject: bool) -> None:
        replica.failures += 1
        if not eject:
            return
        was_in = replica.out_until is None
        replica.cooldown = min(self._max_cooldown, replica.cooldown * 2 if replica.cooldown else self._cooldown)
        replica.out_until = self._clock() + replica.cooldown
        if was_in:
            left = len(self.in_rotation())
            log.warning("warning: %s: replica %s failed (%s); taken out of rotation, retried in %.0f s (%d of %d left).",
                        self.describe, replica.label, error, replica.cooldown, left, len(self.replicas))

    async def aclose(self) -> None:
        for r in self.replicas:
            await r.backend.aclose()
