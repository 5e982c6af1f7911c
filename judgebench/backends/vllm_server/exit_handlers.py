"""The process-wide safety net: every live server is stopped at exit, on SIGTERM, and reaped."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import sys
import threading
from types import FrameType
from typing import Protocol


class Stoppable(Protocol):
    def stop(self) -> None: ...


LIVE: set[Stoppable] = set()  # strong refs: a running server must not be garbage-collected
_handlers_installed = False
_exit_registered = False
_handlers_lock = threading.Lock()


def stop_all() -> None:
    """Stop every server this process started (atexit and signal path)."""
    for server in list(LIVE):
        with contextlib.suppress(Exception):
            server.stop()


def install_exit_handlers() -> None:
    """Once per process (each server start calls it; the CLI may call it early from the main thread,
    the only one that can set signal handlers): atexit and SIGTERM stop every server (then the
    process dies as it would have), and the process becomes a child subreaper so vLLM's engine processes are re-parented to us (and reaped) when their parent
    dies first -- some containers' PID 1 never reaps, leaving zombies in the group."""
    global _handlers_installed, _exit_registered
    with _handlers_lock:
        if _handlers_installed:
            return
        if not _exit_registered:
            _exit_registered = True
            atexit.register(stop_all)
            _become_subreaper()
        if threading.current_thread() is threading.main_thread():
            _handlers_installed = True
            previous = signal.getsignal(signal.SIGTERM)

            def on_sigterm(signum: int, frame: FrameType | None) -> None:
                stop_all()
                if callable(previous):
                    previous(signum, frame)
                elif previous != signal.SIG_IGN:
                    signal.signal(signum, signal.SIG_DFL)
                    os.kill(os.getpid(), signum)

            signal.signal(signal.SIGTERM, on_sigterm)


def _become_subreaper() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
