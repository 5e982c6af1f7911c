"""Waiting for a starting server: poll ``/health`` until 200, the process exits, or the deadline."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Literal

Outcome = Literal["healthy", "stopped", "exited", "timeout"]


def wait_healthy(proc: subprocess.Popen[bytes], url: str, deadline: float, stopped: Callable[[], bool]) -> Outcome:
    """Poll ``url`` every 0.25 s; say why the wait ended (the caller turns that into an error)."""
    while True:
        if stopped():
            return "stopped"
        if proc.poll() is not None:
            return "exited"
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as r,
        ):
            if r.status == 200:
                return "healthy"
        if time.monotonic() >= deadline:
            return "timeout"
        time.sleep(0.25)
