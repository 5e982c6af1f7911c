"""Replicas: least-loaded routing, a failing replica out of rotation (and back), keys of one server."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from judgebench import pipeline
from judgebench.backends.base import ConnectionFailure, PermanentBackendError, TransientBackendError
from judgebench.backends.replicas import ReplicaBackend
from judgebench.config import JudgeSpec, ModelSpec, ServerOptions
from judgebench.errors import EndpointUnavailable
from judgebench.records import Completion, CompletionRequest, Message, Usage
from judgebench.testing.openai_server import FakeOpenAIServer
from tests.conftest import write_suite

REQUEST = CompletionRequest(model="m", messages=(Message("user", "hi"),), max_tokens=8, temperature=0.0)


class Scripted:
    """A backend at the unit seam: answers after ``gate`` opens, or raises what ``fail`` says."""

    supports_json_schema = True
    supports_logprobs = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0
        self.fail: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return Completion(text=f"{self.name}", usage=Usage(1, 1))

    async def aclose(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _set(n: int = 2, **kw: object) -> tuple[ReplicaBackend, list[Scripted], Clock]:
    backends = [Scripted(f"r{i}") for i in range(n)]
    clock = Clock()
    return ReplicaBackend(backends, [b.name for b in backends], describe="the judge", clock=clock, **kw), backends, clock  # type: ignore[arg-type]


def test_requests_go_to_the_least_loaded_replica() -> None:
    rb, (a, b, c), _ = _set(3)

    async def go() -> None:
        a.gate, b.gate = asyncio.Event(), asyncio.Event()
        slow = [asyncio.create_task(rb.complete(REQUEST)) for _ in range(2)]  # one on a, one on b
        await asyncio.sleep(0)
        assert (a.calls, b.calls, c.calls) == (1, 1, 0)
        answers = [await rb.complete(REQUEST) for _ in range(3)]  # a and b are busy: c answers all three
        assert [x.text for x in answers] == ["r2"] * 3
        a.gate.set()
        b.gate.set()
        await asyncio.gather(*slow)
        spread = [(await rb.complete(REQUEST)).text for _ in range(4)]  # idle: the least-served first
        assert spread[:2] == ["r0", "r1"]

    asyncio.run(go())


def test_an_unreachable_replica_fails_over_at_once_warns_and_comes_back_after_cooldown(
        caplog: pytest.LogCaptureFixture) -> None:
    rb, (a, b), clock = _set(2, cooldown=5.0)
    a.fail = ConnectionFailure("cannot connect to r0")
    caplog.set_level(logging.WARNING, logger="judgebench.replicas")

    async def go() -> None:
        assert (await rb.complete(REQUEST)).text == "r1", "the same request is answered by the other replica"
        assert rb.in_rotation() == ["r1"]
        assert "the judge: replica r0 failed (cannot connect to r0); taken out of rotation, retried in 5 s" in caplog.text
        for _ in range(5):
            assert (await rb.complete(REQUEST)).text == "r1"
        assert a.calls == 1, "no request goes to a replica out of rotation"
        clock.now += 5.0  # cooldown over: one probe; it still fails, so out again for twice as long
        assert (await rb.complete(REQUEST)).text == "r1"
        assert a.calls == 2 and rb.in_rotation() == ["r1"]
        clock.now += 5.0
        assert (await rb.complete(REQUEST)).text == "r1" and a.calls == 2, "the second cooldown is 10 s"
        clock.now += 5.0
        a.fail = None
        assert (await rb.complete(REQUEST)).text == "r0"
        assert rb.in_rotation() == ["r0", "r1"]
        assert "replica r0 answers again and is back in rotation" in caplog.text

    asyncio.run(go())


def test_transient_errors_eject_only_after_several_in_a_row_and_permanent_ones_never() -> None:
    rb, (a, b), _ = _set(2, failures_to_eject=3)
    a.fail = TransientBackendError("HTTP 500", 500)

    async def go() -> None:
        for _ in range(2):  # idle and least served, a is picked each time
            with pytest.raises(TransientBackendError):  # back to the retry policy
                await rb.complete(REQUEST)
        assert rb.in_rotation() == ["r0", "r1"]
        with pytest.raises(TransientBackendError):
            await rb.complete(REQUEST)
        assert rb.in_rotation() == ["r1"]
        assert a.calls == 3 and b.calls == 0
        b.fail = PermanentBackendError("HTTP 400", 400)
        with pytest.raises(PermanentBackendError):
            await rb.complete(REQUEST)
        assert rb.in_rotation() == ["r1"], "a bad request does not take the replica out"

    asyncio.run(go())


def test_when_every_replica_is_out_the_set_fails_like_one_server_and_recovers() -> None:
    rb, (a, b), clock = _set(2)
    a.fail = b.fail = ConnectionFailure("refused")

    async def go() -> None:
        with pytest.raises(ConnectionFailure):
            await rb.complete(REQUEST)
        assert rb.in_rotation() == []
        with pytest.raises(ConnectionFailure):  # still tried (the one back soonest), like a single server
            await rb.complete(REQUEST)
        a.fail = b.fail = None
        clock.now += 60
        assert (await rb.complete(REQUEST)).text in ("r0", "r1")

    asyncio.run(go())


# -- config -------------------------------------------------------------------------------------------


def test_replica_urls_are_validated_and_the_first_names_the_model() -> None:
    spec = ModelSpec(name="m", model="m", base_urls=["http://a/v1", "http://b/v1"])
    assert spec.urls == ["http://a/v1", "http://b/v1"] and spec.primary_url == "http://a/v1"
    assert ModelSpec(name="m", model="m", base_url="http://a/v1").urls == ["http://a/v1"]
    for bad, match in [
        ({"base_url": "http://a/v1", "base_urls": ["http://b/v1"]}, "not both"),
        ({"base_urls": ["http://a/v1", "http://a/v1/"]}, "twice"),
        ({"base_urls": []}, "at least 1"),
        ({"provider": "vllm", "base_urls": ["http://a/v1"]}, "server.replicas"),
    ]:
        with pytest.raises(ValidationError, match=match):
            JudgeSpec(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="pins 1 device"):
        ServerOptions(gpus=["0"], tensor_parallel_size=2)
    assert ServerOptions(gpus=["0", "1", "2", "3"], tensor_parallel_size=2, replicas=2).world_size == 2


# -- against real loopback servers --------------------------------------------------------------------


def _rows(store: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(store) as db:
        return {"responses": sorted(db.execute("SELECT key, status, text FROM responses")),
                "judgments": sorted(db.execute("SELECT key, status, label, preference, raw FROM judgments"))}


def _suite(tmp: Path, urls: list[str], latency_models: bool = True) -> Path:
    tmp.mkdir(exist_ok=True)
    endpoint = {"base_urls": urls, "base_url": None} if len(urls) > 1 else {"base_url": urls[0]}
    models = [{"name": n, "model": n, **endpoint, "concurrency": 4} for n in ("small", "large-model", "ref")]
    return write_suite(tmp, urls[0], models=models, judge={**endpoint, "concurrency": 4})


def test_a_run_over_two_replicas_stores_what_one_server_stores_and_uses_both(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.02) as one:
        single = pipeline.run(pipeline.prepare(_suite(tmp_path / "single", [one.base_url]), {}),
                              pipeline.RunOptions(store=tmp_path / "single.sqlite", leaderboards=tmp_path / "lb"),
                              ("generate", "judge"))
        with FakeOpenAIServer(latency=0.02) as two:
            both = pipeline.run(pipeline.prepare(_suite(tmp_path / "both", [one.base_url, two.base_url]), {}),
                                pipeline.RunOptions(store=tmp_path / "both.sqlite", leaderboards=tmp_path / "lb"),
                                ("generate", "judge"))
            share = two.counters.completions
    total = single.requests_sent
    assert both.requests_sent == total
    assert _rows(tmp_path / "both.sqlite") == _rows(tmp_path / "single.sqlite")
    assert total / 4 < share < 3 * total / 4, (share, total)

    # the same store serves a later run on the single server: nothing left to do
    with FakeOpenAIServer(port=int(one.base_url.rsplit(":", 1)[1].split("/")[0])) as again:
        rerun = pipeline.run(pipeline.prepare(_suite(tmp_path / "single", [again.base_url]), {}),
                             pipeline.RunOptions(store=tmp_path / "both.sqlite", leaderboards=tmp_path / "lb"),
                             ("generate", "judge"))
    assert rerun.requests_sent == 0


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_a_replica_that_dies_mid_run_is_dropped_with_a_warning_and_the_run_completes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="judgebench.replicas")
    with FakeOpenAIServer(latency=0.01) as good, FakeOpenAIServer(latency=0.01) as bad:
        def die(number: int, body: dict[str, object]) -> None:
            if number == 5:
                bad.down = True
        bad.on_request = die
        result = pipeline.run(pipeline.prepare(_suite(tmp_path / "s", [bad.base_url, good.base_url]), {}),
                              pipeline.RunOptions(store=tmp_path / "s.sqlite", leaderboards=tmp_path / "lb"),
                              ("generate", "judge"))
        assert result.errors == 0
    assert f"replica {bad.base_url} failed" in caplog.text and "taken out of rotation" in caplog.text
    counts = _rows(tmp_path / "s.sqlite")
    assert all(r[1] == "ok" for r in counts["responses"] + counts["judgments"])


def test_one_unreachable_replica_does_not_stop_a_first_run_but_all_unreachable_do(tmp_path: Path) -> None:
    dead = _closed_port()
    with FakeOpenAIServer() as good:
        ok = pipeline.run(pipeline.prepare(_suite(tmp_path / "a", [dead, good.base_url]), {}),
                          pipeline.RunOptions(store=tmp_path / "a.sqlite", leaderboards=tmp_path / "lb"),
                          ("generate", "judge"))
        assert ok.errors == 0 and good.counters.completions == ok.requests_sent
    with pytest.raises(EndpointUnavailable, match=r"base_urls"):
        pipeline.run(pipeline.prepare(_suite(tmp_path / "b", [dead, _closed_port()]), {}),
                     pipeline.RunOptions(store=tmp_path / "b.sqlite", leaderboards=tmp_path / "lb"),
                     ("generate", "judge"))
    assert not (tmp_path / "b.sqlite").exists()


def test_the_cli_shows_the_replica_warning_on_stderr_and_succeeds(tmp_path: Path) -> None:
    from tests.conftest import cli

    dead = _closed_port()
    with FakeOpenAIServer() as srv:
        suite = _suite(tmp_path / "s", [dead, srv.base_url])
        run = cli("run", str(suite), "--out", str(tmp_path / "lb"))
    assert run.returncode == 0, run.stderr
    assert f"warning: model 'small': replica {dead} failed" in run.stderr and "taken out of rotation" in run.stderr
