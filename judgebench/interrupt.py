"""Stopping the running asyncio run from a signal handler, whatever SIGINT's disposition.

``asyncio.run`` cancels its main task cleanly on Ctrl-C only when SIGINT has Python's own handler
as the run starts. A process started by a non-interactive shell's background job (``judgebench run
... &`` in a CI script) inherits SIGINT *ignored*; asyncio then installs nothing, and a
KeyboardInterrupt raised from the SIGTERM handler lands in the middle of a loop step, where asyncio
logs it with a traceback. ``run`` records the main thread's run so that ``request_stop`` cancels its
task the way asyncio does on Ctrl-C: jobs in flight are dropped at their next await, and the caller
gets KeyboardInterrupt once the loop has closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_running: tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]] | None = None
_stop_requested = False


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; raises KeyboardInterrupt when ``request_stop`` was called during it."""
    global _running, _stop_requested
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(main)  # signal handlers run on the main thread only

    async def tracked() -> T:
        global _running
        task = asyncio.current_task()
        assert task is not None
        _running = (asyncio.get_running_loop(), task)
        return await main

    _stop_requested = False
    try:
        result = asyncio.run(tracked())
    except asyncio.CancelledError:
        if _stop_requested:
            raise KeyboardInterrupt from None
        raise
    finally:
        _running = None  # only now: a stop during the loop's teardown still counts below
    if _stop_requested:
        raise KeyboardInterrupt
    return result


def request_stop() -> bool:
    """Cancel the main thread's run; False when there is none, or a stop was already requested
    (the caller then interrupts the plain way, as a second Ctrl-C does)."""
    global _stop_requested
    current = _running
    if current is None or _stop_requested:
        return False
    _stop_requested = True
    loop, task = current
    with contextlib.suppress(RuntimeError):  # the loop is closed already: ``run`` raises on its way out
        loop.call_soon_threadsafe(task.cancel)
    return True
