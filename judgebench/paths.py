"""Files a suite names are untrusted: read only regular files, inside the suite's folder tree.

A suite that came with a pull request can name any path. ``/proc/self/environ`` would send the
environment (API keys) to the judge, a FIFO or ``/dev/zero`` would block or read forever, and a
symlink loop would fail deep inside a library. So every suite-named file is opened with
``O_NONBLOCK`` (a FIFO cannot block the open), checked with ``fstat`` on the open descriptor (no
race between the check and the read), read up to a size limit, and, when it comes from a suite,
resolved and kept inside the allowed folders.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path


class UnsafePath(Exception):
    """A path that must not be read or written; ``problem`` says why in words a user can act on."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def contained(path: Path, roots: Sequence[Path]) -> Path:
    """``path`` with every symlink resolved, when it lies inside one of ``roots``; else UnsafePath.

    Resolution is strict (the file must exist), so ``..`` and symlinks pointing out of the tree
    are judged by where they really lead.
    """
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        raise UnsafePath("does not exist") from None
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        raise UnsafePath("is a symlink loop") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafePath("is a symlink loop") from None
        raise UnsafePath(f"cannot be read ({e.strerror})") from None
    for root in roots:
        try:
            real.relative_to(root.resolve())
            return real
        except ValueError:
            continue
    where = " or ".join(str(r.resolve()) for r in roots)
    raise UnsafePath(f"lies outside the suite's folder tree ({real} is not under {where})")


def require_regular(path: Path) -> None:
    """UnsafePath unless ``path`` is a regular file (``stat`` only: a FIFO is not opened)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UnsafePath("does not exist") from None
    except OSError as e:
        raise UnsafePath("is a symlink loop" if e.errno == errno.ELOOP else f"cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(mode):
        raise UnsafePath(f"is {_kind(mode)}, not a regular file")


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes; else UnsafePath."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnsafePath("does not exist") from None
    except IsADirectoryError:
        raise UnsafePath("is a folder, not a file") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafePath("is a symlink loop") from None
        if e.errno == errno.ENXIO:  # a socket or a FIFO opened for writing elsewhere
            raise UnsafePath("is not a regular file") from None
        raise UnsafePath(f"cannot be read ({e.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise UnsafePath(f"is {st.st_size:,} bytes (limit {limit:,})")
        chunks: list[bytes] = []
        total = 0
        while True:  # the size may change while we read: never read past the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnsafePath(f"is more than {limit:,} bytes")
        return b"".join(chunks)
    except OSError as e:
        raise UnsafePath(f"cannot be read ({e.strerror})") from None
    finally:
        os.close(fd)


def check_output_dir(path: Path) -> None:
    """Raise UnsafePath unless ``path`` is (or can be created as) a folder we can write into.

    Checked before any stage runs, so a wrong ``--out`` costs nothing: a dangling symlink, a
    folder under a regular file, or a read-only place are refused up front. Nothing is created.
    """
    if path.is_symlink() and not path.exists():
        raise UnsafePath(f"is a dangling symlink (to {os.readlink(path)})")
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            raise UnsafePath(f"{probe} is a dangling symlink")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UnsafePath(f"{probe} is a file, so no folder can be made under it")
    try:  # os.access lies for root on read-only mounts; a real probe file does not
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise UnsafePath(f"{probe} is not writable ({e.strerror})") from None
