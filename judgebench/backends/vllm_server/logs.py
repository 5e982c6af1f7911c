"""The server's log file: its tail for error messages, and a rewrite without secret values."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from judgebench.backends.vllm_server.environment import scrub


def tail(log_path: Path, n: int, secrets: Sequence[str]) -> str:
    """The last ``n`` lines of the log (read from its last 64 KiB), secrets scrubbed."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            lines = fh.read().decode("utf-8", "replace").splitlines()[-n:]
    except OSError:
        return "(no log)"
    return scrub("\n".join(lines), secrets)


def scrub_file(log_path: Path, secrets: Sequence[str]) -> None:
    """Rewrite the log without secret values (the server's env has none, but extra_args or
    the suite's env might)."""
    if not secrets:
        return
    with contextlib.suppress(OSError):
        text = log_path.read_text("utf-8", "replace")
        clean = scrub(text, secrets)
        if clean != text:
            log_path.write_text(clean, "utf-8")
