"""Server waves: which managed vLLM servers run together, on which devices.

A suite may name more checkpoints than fit on the machine at once (four full checkpoints at vLLM's
default memory share need four GPUs). Each server declares what it occupies: ``world_size``
devices (tensor x pipeline x data parallel), each at its ``gpu_memory_utilization`` share (vLLM's
per-instance limit: two servers at 0.45 share one GPU), times ``replicas``. The planner packs
servers into waves that fit the visible devices; the generate stage starts a wave's servers, runs their
generation, stops them, and moves on. Why plan up front: a server that can never fit is reported
before anything starts, and no checkpoint is ever started twice in a run.

* Devices: ``CUDA_VISIBLE_DEVICES`` when set (``""`` or ``-1``: none), else the GPUs the NVIDIA
  driver lists, else the CPU budget: the machine as one device of capacity 1 (vLLM's CPU backend
  applies the same memory share to the host), where a server takes its share whatever its
  parallel sizes (vLLM places CPU ranks on cores, not devices).
* A Ray-backed server (``distributed_executor_backend`` or ``data_parallel_backend: ray``) runs
  alone in its wave and gets no device list: Ray places its workers, possibly on other nodes, and
  judgebench cannot see that cluster's devices.
* The judge's server, when it also generates (a checkpoint judged by itself), goes in the last
  wave and stays up for the judge stage; otherwise it starts alone after generation.
* Packing is first-fit over servers sorted largest first (devices, then share), a server's
  replicas always in one wave, each replica on the devices with the most room left.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from judgebench.errors import ConfigError

DEFAULT_SHARE = 0.92
"""vLLM's default ``gpu_memory_utilization`` (vllm 0.32's CacheConfig; older releases used 0.9)."""
CPU = "cpu"
_EPS = 1e-9


@dataclass(frozen=True)
class Devices:
    ids: tuple[str, ...]
    kind: str  # "cuda" or "cpu"


@dataclass(frozen=True)
class ServerNeed:
    """What one managed server (all its replicas) occupies while it runs."""

    key: str
    label: str
    world_size: int = 1
    share: float = DEFAULT_SHARE
    replicas: int = 1
    pinned: tuple[str, ...] | None = None
    """Device ids for replica 0, then replica 1, ... (``world_size`` each)."""
    exclusive: bool = False
    """Ray-backed: alone in its wave, no device list."""
    judge_kept: bool = False
    """The judge's server, which also generates: last wave, kept for the judge stage."""


@dataclass(frozen=True)
class Placement:
    need: ServerNeed
    devices: tuple[tuple[str, ...], ...]
    """Per replica, the device ids it gets (empty tuples on the CPU and for Ray-backed servers)."""

    def cuda_visible_devices(self, replica: int) -> str | None:
        """The CUDA_VISIBLE_DEVICES value for ``replica``, or None to leave the environment alone."""
        devs = self.devices[replica]
        return ",".join(devs) if devs else None


Wave = tuple[Placement, ...]


def visible_devices(env: Mapping[str, str], driver_dir: str = "/proc/driver/nvidia/gpus") -> Devices:
    """The devices servers may use: CUDA_VISIBLE_DEVICES, the driver's GPUs, or the CPU budget."""
    value = env.get("CUDA_VISIBLE_DEVICES")
    if value is not None:
        ids: list[str] = []
        for part in (p.strip() for p in value.split(",")):
            if not part or part.startswith("-"):
                break  # CUDA ignores everything from the first invalid entry on
            ids.append(part)
        return Devices(tuple(ids), "cuda") if ids else Devices((CPU,), "cpu")
    try:
        count = len([e for e in os.listdir(driver_dir) if not e.startswith(".")])
    except OSError:
        count = 0
    return Devices(tuple(str(i) for i in range(count)), "cuda") if count else Devices((CPU,), "cpu")


def plan_waves(needs: Sequence[ServerNeed], devices: Devices) -> list[Wave]:
    """Generation waves for ``needs``; raises ConfigError naming a server that can never fit."""
    for need in needs:
        _check_fits(need, devices)
    order = sorted((n for n in needs if not n.judge_kept), key=lambda n: (-_footprint(n, devices), -n.share))
    waves: list[Wave] = []
    while order:
        room = {d: 1.0 for d in devices.ids}
        wave: list[Placement] = []
        for need in list(order):
            if need.exclusive and wave or wave and wave[0].need.exclusive:
                continue
            placed = _place(need, devices, room)
            if placed is not None:
                wave.append(placed)
                order.remove(need)
        if not wave:
            _never(order[0], devices)
        waves.append(tuple(wave))
    for need in (n for n in needs if n.judge_kept):  # at most one: the judge's server
        room = {d: 1.0 for d in devices.ids}
        last = list(waves[-1]) if waves else []
        fits = not need.exclusive and not any(p.need.exclusive for p in last)
        for p in last if fits else []:
            _take(p, room)
        placed = _place(need, devices, room) if fits else None
        if placed is not None and waves:
            waves[-1] = (*last, placed)
        else:
            waves.append((_place(need, devices, {d: 1.0 for d in devices.ids}) or _never(need, devices),))
    return waves


def place_alone(need: ServerNeed, devices: Devices) -> Placement:
    """Where ``need`` runs when nothing else does (the judge after generation)."""
    _check_fits(need, devices)
    return _place(need, devices, {d: 1.0 for d in devices.ids}) or _never(need, devices)


def _footprint(need: ServerNeed, devices: Devices) -> float:
    per_replica = 1 if devices.kind == "cpu" else need.world_size
    return per_replica * need.replicas * need.share


def _take(p: Placement, room: dict[str, float]) -> None:
    for devs in p.devices:
        for d in devs or ((CPU,) if CPU in room else ()):
            room[d] -= p.need.share


def _place(need: ServerNeed, devices: Devices, room: dict[str, float]) -> Placement | None:
    """Take room for every replica of ``need``, or leave ``room`` as it was and return None."""
    if need.exclusive:
        if any(v < 1.0 - _EPS for v in room.values()):
            return None
        for d in room:
            room[d] = 0.0
        return Placement(need, tuple(() for _ in range(need.replicas)))
    trial = dict(room)
    chosen: list[tuple[str, ...]] = []
    for r in range(need.replicas):
        if devices.kind == "cpu":
            if trial[CPU] + _EPS < need.share:
                return None
            trial[CPU] -= need.share
            chosen.append(())
            continue
        if need.pinned is not None:
            want = need.pinned[r * need.world_size:(r + 1) * need.world_size]
        else:
            free = sorted((d for d in devices.ids if trial[d] + _EPS >= need.share), key=lambda d: -trial[d])
            want = tuple(free[: need.world_size])
        if len(want) < need.world_size or any(trial[d] + _EPS < need.share for d in want):
            return None
        for d in want:
            trial[d] -= need.share
        chosen.append(tuple(want))
    room.update(trial)
    return Placement(need, tuple(chosen))


def _check_fits(need: ServerNeed, devices: Devices) -> None:
    if need.exclusive:
        return
    if devices.kind == "cpu":
        if need.share * need.replicas > 1.0 + _EPS:
            raise _cannot_fit(need, devices, f"{need.replicas} replicas at a memory share of {need.share:g} each "
                              "exceed the CPU budget (1.0)")
        return
    if need.pinned is not None:
        unknown = [d for d in need.pinned if d not in devices.ids]
        if unknown:
            raise _cannot_fit(need, devices, f"it is pinned to device(s) {', '.join(unknown)}, which are not visible")
    if need.world_size * need.replicas * need.share > len(devices.ids) + _EPS or need.world_size > len(devices.ids):
        raise _cannot_fit(need, devices, f"it needs {need.replicas} x {need.world_size} device(s) at a memory share "
                          f"of {need.share:g}, and {len(devices.ids)} are visible")
    if _place(need, devices, {d: 1.0 for d in devices.ids}) is None:
        raise _cannot_fit(need, devices, "its replicas cannot all be placed at once")


def _never(need: ServerNeed, devices: Devices) -> Placement:
    raise _cannot_fit(need, devices, "it does not fit even alone")


def _cannot_fit(need: ServerNeed, devices: Devices, why: str) -> ConfigError:
    seen = f"visible devices: {', '.join(devices.ids)}" if devices.kind == "cuda" else "no GPU visible (the CPU budget)"
    return ConfigError(
        f"The vLLM server for {need.label} can never start on this machine: {why} ({seen}).",
        "Lower server.tensor_parallel_size / data_parallel_size / replicas or gpu_memory_utilization, "
        "make more GPUs visible (CUDA_VISIBLE_DEVICES), or run that server on a Ray cluster "
        "(server.distributed_executor_backend: ray; see docs/SCALING.md).",
    )
