"""Server waves: the planner's packing (pure) and real runs on the fake vLLM (tests/fake_vllm)."""

from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from judgebench import pipeline
from judgebench.backends.schedule import (
    CPU,
    Devices,
    ServerNeed,
    Wave,
    place_alone,
    plan_waves,
    visible_devices,
)
from judgebench.backends.vllm_server import build_command
from judgebench.config import ServerOptions
from judgebench.errors import ConfigError
from judgebench.store import Store

FAKE = str(Path(__file__).resolve().parents[1] / "fake_vllm")
GPUS2 = Devices(("0", "1"), "cuda")
CPU_ONLY = Devices((CPU,), "cpu")


def _need(key: str, **kw: Any) -> ServerNeed:
    return ServerNeed(key=key, label=f"model {key}", **kw)


def _keys(waves: list[Wave]) -> list[list[str]]:
    return [[p.need.key for p in wave] for wave in waves]


def _load(wave: Wave, devices: Devices) -> dict[str, float]:
    load: dict[str, float] = defaultdict(float)
    for p in wave:
        for devs in p.devices:
            for d in devs or ((CPU,) if devices.kind == "cpu" else ()):
                load[d] += p.need.share
    return load


# -- the planner --------------------------------------------------------------------------------------


def test_full_checkpoints_run_two_at_a_time_on_two_gpus_and_half_shares_four() -> None:
    waves = plan_waves([_need(k) for k in "abcd"], GPUS2)
    assert _keys(waves) == [["a", "b"], ["c", "d"]]
    assert all(sorted(d for p in w for devs in p.devices for d in devs) == ["0", "1"] for w in waves)
    half = plan_waves([_need(k, share=0.45) for k in "abcd"], GPUS2)
    assert _keys(half) == [["a", "b", "c", "d"]]
    assert all(v <= 1.0 for v in _load(half[0], GPUS2).values())


def test_tensor_parallel_servers_take_their_devices_and_replicas_stay_together() -> None:
    waves = plan_waves([_need("small"), _need("tp2", world_size=2), _need("rep", replicas=2, share=0.4)], GPUS2)
    assert [set(w) for w in _keys(waves)] == [{"tp2"}, {"rep", "small"}]
    rep = next(p for p in waves[1] if p.need.key == "rep")
    assert len(rep.devices) == 2 and all(len(d) == 1 for d in rep.devices), "both replicas in the same wave"
    assert all(v <= 1.0 for v in _load(waves[1], GPUS2).values())
    assert waves[0][0].cuda_visible_devices(0) == "0,1"
    spread = plan_waves([_need("rep", replicas=2, share=0.4)], GPUS2)[0][0]
    assert sorted(spread.devices) == [("0",), ("1",)], "replicas spread over the emptiest devices"


def test_the_cpu_budget_runs_one_full_server_at_a_time() -> None:
    assert _keys(plan_waves([_need(k) for k in "abc"], CPU_ONLY)) == [["a"], ["b"], ["c"]]
    assert _keys(plan_waves([_need(k, share=0.3) for k in "abcd"], CPU_ONLY)) == [["a", "b", "c"], ["d"]]
    assert plan_waves([_need("tp", world_size=4)], CPU_ONLY)[0][0].cuda_visible_devices(0) is None


def test_the_judges_server_goes_last_and_joins_the_last_wave_when_it_fits() -> None:
    joined = plan_waves([_need("j", judge_kept=True, share=0.4), _need("a"), _need("b", share=0.5)], GPUS2)
    assert _keys(joined) == [["a", "b", "j"]]
    alone = plan_waves([_need("j", judge_kept=True), _need("a"), _need("b"), _need("c")], GPUS2)
    assert _keys(alone) == [["a", "b"], ["c", "j"]]
    last = plan_waves([_need("j", judge_kept=True), _need("a", world_size=2)], GPUS2)
    assert _keys(last) == [["a"], ["j"]]


def test_ray_servers_run_alone_without_a_device_list() -> None:
    waves = plan_waves([_need("a"), _need("ray", exclusive=True, world_size=16), _need("b")], GPUS2)
    assert sorted(map(sorted, _keys(waves))) == [["a", "b"], ["ray"]]
    ray = next(w for w in waves if w[0].need.key == "ray")[0]
    assert ray.cuda_visible_devices(0) is None


def test_pinned_servers_get_their_devices_and_impossible_ones_are_named() -> None:
    waves = plan_waves([_need("p", pinned=("1",)), _need("q", pinned=("1",))], GPUS2)
    assert _keys(waves) == [["p"], ["q"]] and waves[0][0].devices == (("1",),)
    for need, match in [
        (_need("big", world_size=4), "needs 1 x 4 device"),
        (_need("pin", pinned=("7",)), "device\\(s\\) 7, which are not visible"),
        (_need("many", replicas=3), "needs 3 x 1"),
    ]:
        with pytest.raises(ConfigError, match=match) as e:
            plan_waves([_need("ok"), need], GPUS2)
        assert f"model {need.key}" in e.value.message and "visible devices: 0, 1" in e.value.message
    with pytest.raises(ConfigError, match="CPU budget"):
        place_alone(_need("r", replicas=2), CPU_ONLY)


def test_random_plans_never_overfill_a_device_and_place_each_server_once() -> None:
    rng = random.Random(7)
    for _ in range(300):
        devices = Devices(tuple(str(i) for i in range(rng.randint(1, 8))), "cuda")
        needs = [_need(f"s{i}", world_size=rng.choice([1, 1, 2]), share=rng.choice([0.2, 0.45, 0.92]),
                       replicas=rng.choice([1, 1, 2])) for i in range(rng.randint(1, 9))]
        needs = [n for n in needs if n.world_size <= len(devices.ids) and
                 n.world_size * n.replicas <= len(devices.ids) * (1 if n.share > 0.5 else 2)]
        if not needs:
            continue
        needs[0] = ServerNeed(**{**needs[0].__dict__, "judge_kept": True})
        waves = plan_waves(needs, devices)
        assert sorted(k for w in _keys(waves) for k in w) == sorted(n.key for n in needs)
        assert needs[0].key in _keys(waves)[-1]
        for w in waves:
            assert all(v <= 1.0 + 1e-9 for v in _load(w, devices).values())
            for p in w:
                assert all(len(set(devs)) == p.need.world_size for devs in p.devices)


def test_visible_devices_follow_cuda_visible_devices_then_the_driver(tmp_path: Path) -> None:
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "0,1"}) == Devices(("0", "1"), "cuda")
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "2, 3,-1,4"}) == Devices(("2", "3"), "cuda")
    assert visible_devices({"CUDA_VISIBLE_DEVICES": ""}) == CPU_ONLY
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "-1"}) == CPU_ONLY
    driver = tmp_path / "gpus"
    driver.mkdir()
    for bus in ("0000:01:00.0", "0000:02:00.0", "0000:03:00.0"):
        (driver / bus).mkdir()
    assert visible_devices({}, str(driver)) == Devices(("0", "1", "2"), "cuda")
    assert visible_devices({}, str(tmp_path / "absent")) == CPU_ONLY


def test_vllm_parallelism_passes_through_to_the_server_command() -> None:
    opts = ServerOptions(tensor_parallel_size=2, pipeline_parallel_size=2, data_parallel_size=2,
                         data_parallel_backend="ray", distributed_executor_backend="ray", gpu_memory_utilization=0.45)
    cmd = build_command("/py", "/ckpt", "m", 8000, opts, {})
    pairs = {cmd[i]: cmd[i + 1] for i in range(3, len(cmd) - 1) if cmd[i].startswith("--")}
    assert pairs["--tensor-parallel-size"] == "2" and pairs["--pipeline-parallel-size"] == "2"
    assert pairs["--data-parallel-size"] == "2" and pairs["--data-parallel-backend"] == "ray"
    assert pairs["--distributed-executor-backend"] == "ray" and pairs["--gpu-memory-utilization"] == "0.45"
    assert opts.world_size == 8
    plain = build_command("/py", "/ckpt", "m", 8000, ServerOptions(), {})
    assert not any(a.startswith(("--data-parallel", "--distributed", "--pipeline")) for a in plain)


# -- runs on the fake vLLM ----------------------------------------------------------------------------


@pytest.fixture
def fake_vllm_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(FAKE)


def _suite(tmp: Path, events: Path, replica_share: float | None = None) -> Path:
    adapters = []
    for name in ("l1", "l2"):
        (tmp / name).mkdir()
        (tmp / name / "adapter_config.json").write_text(json.dumps({"r": 8}))
        adapters.append(str(tmp / name))
    server = {"env": {"PYTHONPATH": FAKE, "FAKE_VLLM_EVENTS": str(events)}, "startup_timeout": 60}
    vllm = {"provider": "vllm", "server": server}
    models = [
        vllm | {"name": "a", "model": "/ck/a"},
        vllm | {"name": "a-l1", "model": "x", "base": "/ck/a", "adapter": adapters[0]},
        vllm | {"name": "a-l2", "model": "x", "base": "/ck/a", "adapter": adapters[1]},
        vllm | {"name": "b", "model": "/ck/b",
                "server": server | {"replicas": 2} | ({"gpu_memory_utilization": replica_share} if replica_share else {})},
        vllm | {"name": "c", "model": "/ck/c"},
        vllm | {"name": "d", "model": "/ck/d"},
    ]
    (tmp / "prompts.jsonl").write_text("".join(json.dumps({"id": f"p{i}", "prompt": f"Say {i}."}) + "\n"
                                               for i in range(3)))
    suite = {"name": "waves", "prompts": "prompts.jsonl", "models": models, "reference": "d",
             "judge": vllm | {"model": "/ck/d", "structured": False, "max_parse_retries": 0},
             "canaries": {"enabled": False}, "retry": {"attempts": 2, "initial_wait": 0.01, "max_wait": 0.05}}
    path = tmp / "suite.yaml"
    path.write_text(json.dumps(suite))
    return path


def _alive_at_each_start(events: list[dict[str, Any]]) -> list[list[tuple[str, str | None]]]:
    alive: dict[int, tuple[str, str | None]] = {}
    seen = []
    for e in sorted(events, key=lambda e: e["t"]):
        if e["event"] == "start":
            alive[e["pid"]] = (e["model"], e["cuda"])
            seen.append(list(alive.values()))
        else:
            alive.pop(e["pid"], None)
    return seen


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.usefixtures("fake_vllm_importable")
@pytest.mark.parametrize("cuda", ["0,1", None])
def test_a_run_starts_servers_in_waves_that_fit_and_stops_every_one(tmp_path: Path, cuda: str | None) -> None:
    events = tmp_path / "events.jsonl"
    suite = _suite(tmp_path, events, None if cuda else 0.45)  # two full replicas exceed the CPU budget
    env = {"CUDA_VISIBLE_DEVICES": cuda} if cuda is not None else {}
    prepared = pipeline.prepare(suite, env)
    options = pipeline.RunOptions(store=tmp_path / "s.sqlite", leaderboards=tmp_path / "lb", env=env)
    result = pipeline.run(prepared, options, ("generate", "judge"))
    assert result.errors == 0
    log = [json.loads(line) for line in events.read_text().splitlines()]
    starts = [e for e in log if e["event"] == "start"]
    assert sorted(e["model"] for e in starts) == ["/ck/a", "/ck/b", "/ck/b", "/ck/c", "/ck/d"], \
        "each checkpoint once (b has two replicas; the adapters share a; the judge shares d)"
    assert {e["pid"] for e in log if e["event"] == "stop"} == {e["pid"] for e in starts}, "every server stopped"
    assert all(_gone(e["pid"]) for e in starts)
    together = _alive_at_each_start(log)
    if cuda is not None:
        assert max(map(len, together)) == 2, together
        for alive in together:  # servers alive together never share a GPU (each takes 0.92 of one)
            assert len({c for _, c in alive}) == len(alive) and {c for _, c in alive} <= {"0", "1"}
        assert [sorted(m for m, _ in alive) for alive in together if len(alive) == 2] == [
            ["/ck/b", "/ck/b"], ["/ck/a", "/ck/c"]]
    else:
        assert all(len(alive) == 1 or {m for m, _ in alive} == {"/ck/b"} for alive in together), together
        assert max(map(len, together)) == 2, "b's two replicas at 0.45 share the CPU budget"
        assert all(c is None for alive in together for _, c in alive), "no device list on the CPU"
    assert starts[-1]["model"] == "/ck/d", "the judge's server starts last and serves the judge stage"
    replica_logs = sorted(tmp_path.glob("logs/*/vllm-*-b*.log"))
    assert len(replica_logs) == 2 and all("POST /v1/chat/completions" in p.read_text() for p in replica_logs), \
        "b's three requests are spread over both replicas (least loaded first)"
    with Store(tmp_path / "s.sqlite") as store:
        counts = store.counts()
    assert counts["responses.ok"] == 6 * 3
    assert counts.get("judgments.ok", 0) + counts.get("judgments.parse_failure", 0) == 5 * 3 * 2


@pytest.mark.usefixtures("fake_vllm_importable")
def test_a_server_that_can_never_fit_is_reported_before_any_starts(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    env = {"CUDA_VISIBLE_DEVICES": "0"}
    prepared = pipeline.prepare(_suite(tmp_path, events), env)
    with pytest.raises(ConfigError, match=r"model b can never start .* needs 2 x 1 device") as e:
        pipeline.run(prepared, pipeline.RunOptions(store=tmp_path / "s.sqlite", leaderboards=tmp_path / "lb", env=env),
                     ("generate", "judge"))
    assert e.value.exit_code == 2 and "CUDA_VISIBLE_DEVICES" in (e.value.hint or "")
    assert not events.exists(), "no server was started"


class _Stages:
    """Progress that records each stage the engine starts."""

    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []

    def start(self, stage: str, total: int) -> None:
        self.started.append((stage, total))

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


@pytest.mark.usefixtures("fake_vllm_importable")
def test_the_demo_shape_one_shared_cpu_server_is_one_wave_kept_for_the_judge(tmp_path: Path) -> None:
    """Four models and the judge on one checkpoint on a CPU-only machine: one server, one wave, one
    "generate" stage (no "servers i/n"), the server kept for judging and stopped at the end; a rerun
    with everything stored starts nothing."""
    events = tmp_path / "events.jsonl"
    server = {"env": {"PYTHONPATH": FAKE, "FAKE_VLLM_EVENTS": str(events)}, "startup_timeout": 60}
    one = {"provider": "vllm", "model": "/ck/s", "server": server}
    models = [one | {"name": n, "system_prompt": f"You are {n}."} for n in ("greedy", "sampled", "curated", "terse")]
    (tmp_path / "prompts.jsonl").write_text("".join(json.dumps({"id": f"p{i}", "prompt": f"Say {i}."}) + "\n"
                                                    for i in range(3)))
    suite = {"name": "demo-shape", "prompts": "prompts.jsonl", "models": models, "reference": "greedy",
             "judge": one | {"structured": False, "max_parse_retries": 0}, "canaries": {"enabled": False},
             "retry": {"attempts": 2, "initial_wait": 0.01, "max_wait": 0.05}}
    path = tmp_path / "suite.yaml"
    path.write_text(json.dumps(suite))
    env = {"CUDA_VISIBLE_DEVICES": ""}  # no GPU: the CPU budget, as on the demo machine
    prepared = pipeline.prepare(path, env)
    options = pipeline.RunOptions(store=tmp_path / "s.sqlite", leaderboards=tmp_path / "lb", env=env)
    stages = _Stages()
    result = pipeline.run(prepared, options, ("generate", "judge"), stages)
    assert result.errors == 0
    assert stages.started == [("generate", 4 * 3), ("judge", 3 * 3 * 2)]
    log = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["event"] for e in log] == ["start", "stop"], "one server for generation and judging, stopped once"
    assert log[0]["cuda"] is None, "the environment's devices are left alone"
    with Store(tmp_path / "s.sqlite") as store:
        counts = store.counts()
    assert counts["responses.ok"] == 4 * 3
    again = _Stages()
    assert pipeline.run(prepared, options, ("generate", "judge"), again).requests_sent == 0
    assert again.started == [] and len(events.read_text().splitlines()) == 2, "nothing to do: no server started"
