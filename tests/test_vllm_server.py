"""Unit tests of the vLLM server lifecycle, against a fake ``vllm`` package (tests/fake_vllm).

The fake is started through the exact command judgebench builds (``python -m
vllm.entrypoints.openai.api_server ...``); it shadows real vLLM via PYTHONPATH in the server's env.
The pool also checks that vLLM is importable in this process before it starts a server, so the pool
tests put the fake first on this process's path too: they run, the same way, with or without vLLM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from judgebench.backends import vllm_server as vs
from judgebench.backends.vllm_server import (
    LOOPBACK,
    ServerPool,
    VLLMServer,
    build_command,
    require_vllm,
    served_name_for,
    server_env,
)
from judgebench.config import JudgeSpec, ModelSpec, ServerOptions
from judgebench.errors import DependencyMissing, ServerError

FAKE = str(Path(__file__).parent / "fake_vllm")
REPO = str(Path(__file__).resolve().parents[1])


@pytest.fixture
def fake_vllm_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's ``require_vllm`` finds the fake (it is what the servers run anyway)."""
    monkeypatch.syspath_prepend(FAKE)


def fake_options(startup_timeout: float = 60.0, **env: str) -> ServerOptions:
    return ServerOptions(env={"PYTHONPATH": FAKE, **env}, startup_timeout=startup_timeout)


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def chat(base_url: str, model: str, text: str) -> str:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": text}]}).encode()
    req = urllib.request.Request(f"{base_url}/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["choices"][0]["message"]["content"]


# -- command and environment ---------------------------------------------------------------------


def test_command_uses_module_entry_point_and_loopback() -> None:
    opts = ServerOptions(
        dtype="bfloat16",
        max_model_len=2048,
        tensor_parallel_size=2,
        gpu_memory_utilization=0.8,
        extra_args=["--seed", "1"],
    )
    cmd = build_command("/py", "/ckpt", "m", 8123, opts, {})
    assert cmd[:3] == ["/py", "-m", "vllm.entrypoints.openai.api_server"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "0.0.0.0" not in cmd
    pairs = {cmd[i]: cmd[i + 1] for i in range(3, len(cmd) - 1) if cmd[i].startswith("--")}
    assert pairs["--model"] == "/ckpt"
    assert pairs["--port"] == "8123"
    assert pairs["--served-model-name"] == "m"
    assert pairs["--dtype"] == "bfloat16"
    assert pairs["--max-model-len"] == "2048"
    assert pairs["--tensor-parallel-size"] == "2"
    assert pairs["--gpu-memory-utilization"] == "0.8"
    assert "--enforce-eager" in cmd
    assert cmd[-2:] == ["--seed", "1"]
    assert "--enable-lora" not in cmd


def test_command_without_eager_or_options() -> None:
    cmd = build_command("py", "org/repo", "repo", 1, ServerOptions(enforce_eager=False), {})
    assert "--enforce-eager" not in cmd
    assert not any(a in cmd for a in ("--dtype", "--max-model-len", "--max-lora-rank"))


def test_command_with_lora_modules() -> None:
    opts = ServerOptions(max_lora_rank=8)
    cmd = build_command("py", "/base", "base", 1, opts, {"a": "/ad/a", "b": "/ad/b"})
    i = cmd.index("--lora-modules")
    assert cmd[i + 1 : i + 3] == ["a=/ad/a", "b=/ad/b"]
    assert "--enable-lora" in cmd
    assert cmd[cmd.index("--max-loras") + 1] == "3"  # one slot left empty: see command.py
    assert cmd[cmd.index("--max-lora-rank") + 1] == "8"


@pytest.mark.parametrize("extra", [["--host", "0.0.0.0"], ["--host=0.0.0.0"]])
def test_extra_args_cannot_rebind_host(extra: list[str]) -> None:
    with pytest.raises(ServerError, match="127.0.0.1 only"):
        build_command("py", "/m", "m", 1, ServerOptions(extra_args=extra), {})


def test_env_defaults_never_override_user_values() -> None:
    base = {"PATH": "/bin", "VLLM_CPU_KVCACHE_SPACE": "8"}
    env = server_env(ServerOptions(env={"HF_HUB_OFFLINE": "0", "X": "1"}), base)
    assert env["VLLM_CPU_KVCACHE_SPACE"] == "8"  # from the process env
    assert env["HF_HUB_OFFLINE"] == "0"  # from the suite
    assert env["X"] == "1" and env["PATH"] == "/bin"
    assert server_env(ServerOptions(), {})["VLLM_CPU_KVCACHE_SPACE"] == "2"
    assert server_env(ServerOptions(), {})["HF_HUB_OFFLINE"] == "1"


def test_env_drops_secrets_but_keeps_hub_tokens() -> None:
    base = {"OPENAI_API_KEY": "sk-x", "MY_SECRET": "s", "GH_TOKEN": "t", "HF_TOKEN": "hf", "HOME": "/h"}
    env = server_env(ServerOptions(), base)
    assert "OPENAI_API_KEY" not in env and "MY_SECRET" not in env and "GH_TOKEN" not in env
    assert env["HF_TOKEN"] == "hf" and env["HOME"] == "/h"


def test_secret_values_and_scrub() -> None:
    found = vs.secret_values({"OPENAI_API_KEY": "sk-abcdef", "PATH": "/bin"}, ["--api-key", "k-123456"])
    assert set(found) == {"sk-abcdef", "k-123456"}
    assert vs.scrub("key sk-abcdef and k-123456 /bin", found) == "key *** and *** /bin"


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("builtin:smollm2-135m-instruct", "smollm2-135m-instruct"),
        ("/ckpts/run 7/", "run-7"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct"),
    ],
)
def test_served_names(model: str, name: str) -> None:
    assert served_name_for(model) == name


def test_require_vllm_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # makes find_spec("vllm") report it missing
    with pytest.raises(DependencyMissing) as e:
        require_vllm()
    assert "pip install" in (e.value.hint or "") and "make demo" in (e.value.hint or "")


def test_importing_never_imports_vllm_or_torch() -> None:
    code = (
        "import sys, judgebench, judgebench.builtin, judgebench.backends.vllm_server\n"
        "bad = [m for m in ('vllm', 'torch', 'transformers', 'openai') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# -- one server, through the fake -----------------------------------------------------------------


def test_server_serves_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = VLLMServer("/ckpt", "m", fake_options(FAKE_VLLM_CHILD="1"), tmp_path / "s.log")
    with server:
        assert server.alive()
        assert server.base_url.startswith(f"http://{LOOPBACK}:")
        assert chat(server.base_url, "m", "hi") == "m answers: hi"
        pgid = server.pid
        assert pgid is not None and os.getpgid(pgid) == pgid  # leads its own group
    assert not server.alive()
    assert group_gone(pgid)
    assert "fake vllm: listening on 127.0.0.1:" in server.tail(50)
    server.stop()  # idempotent


def test_never_healthy_gives_command_and_log_tail(tmp_path: Path) -> None:
    server = VLLMServer(
        "/ckpt/never",
        "m",
        fake_options(1.0, FAKE_VLLM_MODE="never_healthy", FAKE_VLLM_CHILD="1"),
        tmp_path / "s.log",
    )
    with pytest.raises(ServerError) as e:
        server.start()
    msg = e.value.message
    assert "did not become healthy within 1 s" in msg
    assert "-m vllm.entrypoints.openai.api_server --model /ckpt/never --host 127.0.0.1" in msg
    assert "fake vllm: starting m from /ckpt/never" in msg  # the log tail
    assert str(tmp_path / "s.log") in msg
    assert server.pid is not None and group_gone(server.pid)


def test_crash_at_start_gives_exit_code_and_log_tail(tmp_path: Path) -> None:
    server = VLLMServer("/ckpt", "m", fake_options(FAKE_VLLM_MODE="crash"), tmp_path / "s.log")
    with pytest.raises(ServerError) as e:
        server.start()
    assert "exited with code 3 before becoming healthy" in e.value.message
    assert "RuntimeError: cannot load the checkpoint" in e.value.message
    assert e.value.exit_code == 3


def test_sigterm_ignoring_server_is_killed(tmp_path: Path) -> None:
    opts = fake_options(FAKE_VLLM_MODE="ignore_term", FAKE_VLLM_CHILD="1")
    server = VLLMServer("/ckpt", "m", opts, tmp_path / "s.log", stop_grace=0.5)
    server.start()
    pgid = server.pid
    assert pgid is not None
    server.stop()
    assert group_gone(pgid)
    assert server.returncode == -signal.SIGKILL


def test_exception_in_body_stops_server(tmp_path: Path) -> None:
    server = VLLMServer("/ckpt", "m", fake_options(FAKE_VLLM_CHILD="1"), tmp_path / "s.log")
    with pytest.raises(RuntimeError, match="boom"), server:
        raise RuntimeError("boom")
    assert server.pid is not None and group_gone(server.pid)


def test_secrets_never_shown_or_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "sk-canary-0123456789"
    monkeypatch.setenv("CANARY_API_KEY", canary)
    opts = ServerOptions(
        env={
            "PYTHONPATH": FAKE,
            "FAKE_VLLM_ECHO_ENV": "CANARY_API_KEY,SUITE_TOKEN",
            "SUITE_TOKEN": "tok-abcdefgh",
        },
        extra_args=["--api-key", "key-987654321"],
        startup_timeout=60,
    )
    server = VLLMServer("/ckpt", "m", opts, tmp_path / "s.log")
    with server:
        assert "fake vllm: env CANARY_API_KEY=None" in server.tail(50)  # never reached the server
        assert "tok-abcdefgh" not in server.tail(50)
        assert "key-987654321" not in server.shown_command()
    log = (tmp_path / "s.log").read_text()
    for secret in (canary, "tok-abcdefgh", "key-987654321"):
        assert secret not in log


@pytest.fixture
def run_script(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    """Start a Python script that uses the pool; SIGTERM whatever is still running at teardown
    (its handler stops its servers), so a failing test leaves nothing behind either."""
    started: list[subprocess.Popen[str]] = []

    def start(code: str) -> subprocess.Popen[str]:
        script = tmp_path / f"script{len(started)}.py"
        script.write_text(textwrap.dedent(code))
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=REPO)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()


_SCRIPT_HEAD = f"""
import os, signal, sys, time
from pathlib import Path
sys.path.insert(0, {FAKE!r})  # the pool's require_vllm finds the fake the servers run
from judgebench.backends.vllm_server import ServerPool
from judgebench.config import ModelSpec, ServerOptions
spec = ModelSpec(name="m", provider="vllm", model="/ckpt",
                 server=ServerOptions(env={{"PYTHONPATH": {FAKE!r}, "FAKE_VLLM_CHILD": "1"}}))
"""


def test_ctrl_c_leaves_nothing_behind(
    tmp_path: Path, run_script: Callable[[str], subprocess.Popen[str]]
) -> None:
    """Ctrl-C in a terminal: Python's KeyboardInterrupt handler. The script installs it itself,
    because a test run started from a background job (``cmd &`` in a non-interactive shell, as
    CI may do) inherits SIGINT ignored, and the self-sent signal would then do nothing."""
    proc = run_script(
        _SCRIPT_HEAD
        + f"""
signal.signal(signal.SIGINT, signal.default_int_handler)
with ServerPool([spec], Path({str(tmp_path)!r})) as pool:
    url, _ = pool.endpoint(spec)
    print(pool.server(spec).pid, flush=True)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(60)
"""
    )
    out, _ = proc.communicate()
    assert proc.returncode != 0  # KeyboardInterrupt
    assert group_gone(int(out.split()[0]))


def test_sigterm_to_judgebench_stops_its_servers(
    tmp_path: Path, run_script: Callable[[str], subprocess.Popen[str]]
) -> None:
    proc = run_script(
        _SCRIPT_HEAD
        + f"""
pool = ServerPool([spec], Path({str(tmp_path)!r}))
pool.endpoint(spec)
print(pool.server(spec).pid, flush=True)
time.sleep(600)
"""
    )
    assert proc.stdout is not None
    pgid = int(proc.stdout.readline())
    assert not group_gone(pgid)
    proc.terminate()
    proc.wait()
    assert proc.returncode == -signal.SIGTERM
    assert group_gone(pgid)


def _running_members(pgid: int) -> list[int]:
    """Members of group ``pgid`` that are not zombies; reaps the zombies that are ours (the test
    process may be a child subreaper, so orphans of a killed script land here)."""
    running = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid, pgrp = stat[stat.rfind(")") + 2 :].split()[:3]
        if int(pgrp) != pgid:
            continue
        if state != "Z":
            running.append(int(entry.name))
        elif int(ppid) == os.getpid():
            os.waitpid(int(entry.name), os.WNOHANG)
    return running


def test_sigkill_of_judgebench_still_stops_its_servers(
    tmp_path: Path, run_script: Callable[[str], subprocess.Popen[str]]
) -> None:
    """No handler runs on SIGKILL; the watchdog in the server's group sees its pipe close."""
    proc = run_script(
        _SCRIPT_HEAD
        + f"""
pool = ServerPool([spec], Path({str(tmp_path)!r}))
pool.endpoint(spec)
print(pool.server(spec).pid, flush=True)
time.sleep(600)
"""
    )
    assert proc.stdout is not None
    pgid = int(proc.stdout.readline())
    assert len(_running_members(pgid)) == 3  # fake server, its child, the watchdog
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 120  # a bound for a hung test, not a speed requirement
    while _running_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running_members(pgid) == []


# -- the pool -------------------------------------------------------------------------------------


def _adapter(tmp_path: Path, name: str, rank: int) -> str:
    d = tmp_path / name
    d.mkdir()
    (d / "adapter_config.json").write_text(json.dumps({"r": rank, "peft_type": "LORA"}))
    return str(d)


@pytest.mark.usefixtures("fake_vllm_importable")
def test_pool_groups_checkpoints_and_adapters(tmp_path: Path) -> None:
    opts, other = fake_options(), fake_options(FAKE_VLLM_FLAVOUR="b")
    specs = [
        ModelSpec(name="plain-a", provider="vllm", model="/ck/a", server=opts),
        ModelSpec(name="plain-a-hot", provider="vllm", model="/ck/a", server=opts),
        ModelSpec(name="plain-a-other", provider="vllm", model="/ck/a", server=other),
        ModelSpec(
            name="lora-1",
            provider="vllm",
            model="x",
            base="/ck/b",
            adapter=_adapter(tmp_path, "l1", 8),
            server=opts,
        ),
        ModelSpec(
            name="lora-2",
            provider="vllm",
            model="x",
            base="/ck/b",
            adapter=_adapter(tmp_path, "l2", 64),
            server=opts,
        ),
        ModelSpec(name="base-b", provider="vllm", model="/ck/b", server=opts),
        ModelSpec(name="api", provider="openai", model="gpt", base_url="http://127.0.0.1:1/v1"),
    ]
    judge = JudgeSpec(provider="vllm", model="/ck/a", server=opts)
    with ServerPool([*specs, judge], tmp_path / "logs") as pool:
        assert sorted(len(labels) for _, labels, _ in pool.groups) == [1, 3, 3]
        endpoints = {s.name: pool.endpoint(s) for s in specs if s.provider == "vllm"}
        judge_url, judge_name = pool.endpoint(judge)
        urls = {url for url, _ in endpoints.values()}
        assert len(urls) == 3  # a, a-with-other-options, b-with-adapters
        assert endpoints["plain-a"] == endpoints["plain-a-hot"] == (judge_url, judge_name) == (judge_url, "a")
        assert endpoints["plain-a-other"][0] != judge_url
        b_url = endpoints["base-b"][0]
        assert endpoints["lora-1"] == (b_url, "lora-1") and endpoints["lora-2"] == (b_url, "lora-2")
        assert endpoints["base-b"] == (b_url, "b")
        served = {m["id"] for m in get_json(f"{b_url}/models")["data"]}
        assert served == {"b", "lora-1", "lora-2"}
        assert chat(b_url, "lora-2", "q") == "lora-2 answers: q"
        logs = sorted((tmp_path / "logs").iterdir())
        assert len(logs) == 3
        b_log = next(p.read_text() for p in logs if "--enable-lora" in p.read_text())
        assert "--max-lora-rank 64" in b_log  # read from the adapters' adapter_config.json
        with pytest.raises(ValueError, match="not a provider: vllm"):
            pool.endpoint(specs[-1])


@pytest.mark.usefixtures("fake_vllm_importable")
def test_pool_reports_a_dead_server(tmp_path: Path) -> None:
    spec = ModelSpec(name="victim", provider="vllm", model="/ck/v", server=fake_options(FAKE_VLLM_CHILD="1"))
    with ServerPool([spec], tmp_path) as pool:
        assert pool.server(spec) is None  # lazy
        pool.endpoint(spec)
        pool.check(spec)  # alive: no error
        server = pool.server(spec)
        assert server is not None and server.pid is not None
        pgid = server.pid
        os.kill(pgid, signal.SIGKILL)  # the API process dies; its child lives on until we stop it
        while server.alive():
            pass
        with pytest.raises(ServerError) as e:
            pool.check(spec)
        msg = e.value.message
        assert "model victim died (exit code -9)" in msg
        assert str(server.log_path) in msg and "fake vllm: listening" in msg
        assert group_gone(pgid)  # check() also cleaned up the orphaned child
        with pytest.raises(ServerError, match="model victim died"):
            pool.endpoint(spec)


@pytest.mark.usefixtures("fake_vllm_importable")
def test_pool_does_not_retry_a_failed_start(tmp_path: Path) -> None:
    specs = [
        ModelSpec(name=n, provider="vllm", model="/ck/bad", server=fake_options(FAKE_VLLM_MODE="crash"))
        for n in "ab"
    ]
    with ServerPool(specs, tmp_path) as pool:
        with pytest.raises(ServerError, match="exited with code 3"):
            pool.endpoint(specs[0])
        with pytest.raises(ServerError, match="exited with code 3"):
            pool.endpoint(specs[1])  # same server: the first failure, not a second launch
    (log,) = tmp_path.glob("vllm-*.log")
    assert log.read_text().count("$ ") == 1


def test_pool_closed_refuses_new_servers(tmp_path: Path) -> None:
    spec = ModelSpec(name="m", provider="vllm", model="/ck/m", server=fake_options())
    pool = ServerPool([spec], tmp_path)
    pool.close()
    with pytest.raises(ServerError, match="closed"):
        pool.endpoint(spec)
