"""Process-group supervision: stop a server's whole group, and a watchdog that does it when we die.

Each server leads its own process group, so one signal reaches vLLM's engine-core children too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

STOP_GRACE = 15.0  # seconds between SIGTERM and SIGKILL

# Runs inside the server's process group; argv: pipe fd, grace seconds. EOF on the pipe means the
# judgebench process that owns the server is gone: SIGTERM the group, then SIGKILL what is left.
_WATCHDOG = """# judgebench: stops this vLLM server's process group when judgebench dies
import os, signal, sys, time
fd, grace = int(sys.argv[1]), float(sys.argv[2])
try:
    while os.read(fd, 64):
        pass
except OSError:
    pass
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.killpg(0, signal.SIGTERM)
me, group, end = os.getpid(), os.getpgid(0), time.monotonic() + grace
def others():
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(pid) != me and int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
while time.monotonic() < end and (not os.path.isdir("/proc") or others()):
    time.sleep(0.1)
os.killpg(0, signal.SIGKILL)
"""


def start_watchdog(pgid: int, grace: float) -> int | None:
    """Join a tiny watchdog to group ``pgid``, holding the read end of a pipe whose only write end
    is returned to us: if this process dies in any way (even SIGKILL), the watchdog reads EOF and
    stops the group. atexit and signal handlers cannot cover SIGKILL or a crash. None when the
    group is already gone (the server exited; its start reports that)."""
    read_end, write_end = os.pipe()  # both non-inheritable; pass_fds hands over the read end
    lifeline: int | None = None
    try:
        subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(read_end), str(grace)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(read_end,),
            process_group=pgid,
        )
    except (OSError, subprocess.SubprocessError):
        os.close(write_end)
    else:
        lifeline = write_end
    finally:
        os.close(read_end)
    return lifeline


def stop_group(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group led by ``proc``, SIGKILL what is left after ``grace``, and reap
    every member we can so no zombie keeps the group alive."""
    pgid = proc.pid
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    killed = False
    while True:
        if proc.returncode is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)
        else:
            time.sleep(0.05)
        _reap_orphans(pgid)
        if proc.returncode is not None and not _remaining(pgid):
            return
        if not killed and time.monotonic() >= deadline:
            _signal_group(pgid, signal.SIGKILL)
            killed = True
        elif killed and time.monotonic() >= deadline + 10:
            return  # unkillable (D state); nothing more a user-space parent can do


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_members(pgid: int) -> Iterator[tuple[int, str, int]]:
    """(pid, state, ppid) of every process in group ``pgid``, read from /proc."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            yield int(entry.name), fields[0], int(fields[1])


def _remaining(pgid: int) -> list[int]:
    """Members still running, or zombies we can still reap. (Zombies whose parent never reaps
    them -- a non-reaping PID 1 when we could not become a subreaper -- are not running.)"""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    me = os.getpid()
    return [pid for pid, state, ppid in _group_members(pgid) if state not in ("Z", "X") or ppid == me]


def _reap_orphans(pgid: int) -> None:
    """Reap group members that were re-parented to us (we are a child subreaper)."""
    if not os.path.isdir("/proc"):
        return
    me = os.getpid()
    for pid, state, ppid in list(_group_members(pgid)):
        if ppid == me and state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
