"""Running generation in server waves: the glue between the planner and the server pool.

:mod:`judgebench.backends.schedule` decides which managed servers fit together; this module asks
the pool what each server needs, hands the pool the devices it was given, starts a wave's servers
together (each start blocks until healthy, so they start in parallel threads), and stops them when
the wave's generation is done -- all but the judge's server when it is kept for the judge stage.
Models on OpenAI-compatible URLs need no devices and run with the first wave.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from judgebench.backends.schedule import Devices, Placement, place_alone, plan_waves, visible_devices
from judgebench.backends.vllm_server.pool import ServerPool
from judgebench.config import EndpointSpec, ModelSpec


@dataclass(frozen=True)
class WaveStep:
    models: tuple[ModelSpec, ...]
    """The models generated in this wave."""
    release: tuple[str, ...]
    """Server keys stopped when the wave is done."""
    servers: tuple[str, ...] = ()
    """Server keys started for this wave."""


@dataclass
class ServerWaves:
    """Plans and runs the waves of one run over ``pool``."""

    pool: ServerPool
    judge: EndpointSpec
    env: Mapping[str, str]
    devices: Devices = field(init=False)
    placed: set[str] = field(default_factory=set)
    history: list[tuple[str, ...]] = field(default_factory=list)
    """Server keys of each wave started so far (tests and diagnostics)."""

    def __post_init__(self) -> None:
        self.devices = visible_devices(self.env)

    def plan(self, models: Sequence[ModelSpec]) -> list[WaveStep]:
        """Waves for generating ``models`` (their servers get their devices now)."""
        managed = [m for m in models if m.provider == "vllm"]
        unmanaged = tuple(m for m in models if m.provider != "vllm")
        if not managed:
            return [WaveStep(unmanaged, ())]
        judge_key = self.pool.need(self.judge).key if self.judge.provider == "vllm" else None
        by_key: dict[str, list[ModelSpec]] = {}
        for m in managed:
            by_key.setdefault(self.pool.need(m).key, []).append(m)
        needs = [self.pool.need(specs[0], judge_kept=key == judge_key) for key, specs in by_key.items()]
        steps: list[WaveStep] = []
        for i, wave in enumerate(plan_waves(needs, self.devices)):
            for placement in wave:
                self._assign(placement)
            keys = tuple(p.need.key for p in wave)
            wave_models = tuple(m for key in keys for m in by_key[key])
            steps.append(WaveStep(wave_models + (unmanaged if i == 0 else ()),
                                  tuple(k for k in keys if k != judge_key), keys))
        return steps

    def place(self, spec: EndpointSpec) -> None:
        """Give ``spec``'s server its devices if no wave did (the judge when it starts after generation)."""
        if spec.provider != "vllm" or self.pool.started(spec):
            return
        need = self.pool.need(spec)
        if need.key not in self.placed:
            self._assign(place_alone(need, self.devices))
            self.history.append((need.key,))

    async def start(self, step: WaveStep) -> None:
        """Start every server of ``step`` at once (each start waits for its /health)."""
        firsts = {self.pool.need(m).key: m for m in step.models if m.provider == "vllm"}
        self.history.append(tuple(firsts))
        await asyncio.gather(*(asyncio.to_thread(self.pool.endpoints, m) for m in firsts.values()))

    async def finish(self, step: WaveStep) -> None:
        """Stop the wave's servers (not the judge's, when kept)."""
        await asyncio.gather(*(asyncio.to_thread(self.pool.release, key) for key in step.release))

    def _assign(self, placement: Placement) -> None:
        self.placed.add(placement.need.key)
        self.pool.assign(placement.need.key,
                         [placement.cuda_visible_devices(r) for r in range(placement.need.replicas)])
