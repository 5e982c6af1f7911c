"""A real vLLM CPU server (the embedded SmolLM2) killed mid-generation.

``judgebench run`` starts the server for model ``smol``; once it has stored some of smol's
responses, the test SIGKILLs the server's whole process group. The run must exit 3 with one
message naming the model and the server log, keep every response it stored, and a rerun must
generate only what is missing and finish. The vLLM log must not hold the canary API key that sits
in judgebench's environment.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer
from reliability.helpers import KEY_ENV, REPO, TABLES, cli, cmd, env, prompts, rows, written_files

pytestmark = [
    pytest.mark.vllm,
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                       reason="vLLM is not installed (`make test` installs the CPU build: scripts/setup.sh)"),
]

N_PROMPTS = 16
RESULTS = REPO / "test-artifacts" / "reliability"


def _suite(folder: Path, base_url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in prompts(N_PROMPTS, multi_every=0)))
    fake = {"provider": "openai", "base_url": base_url, "api_key_env": KEY_ENV}
    suite = {
        "name": "vllm-kill",
        "prompts": "prompts.jsonl",
        "generation": {"max_tokens": 48, "temperature": 0.0},
        "models": [
            {"name": "smol", "provider": "vllm", "model": "builtin:smollm2-135m-instruct", "concurrency": 2,
             "server": {"max_model_len": 2048}},
            fake | {"name": "ref", "model": "ref"},
        ],
        "reference": "ref",
        "judge": fake | {"model": "judge"},
        "canaries": {"enabled": False},
    }
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=1))
    return path


def _smol_rows(store: Path) -> int:
    if not store.exists():
        return 0
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM responses WHERE status = 'ok' "
                              "AND json_extract(info, '$.model') = 'smol'").fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        db.close()


def _vllm_server_of(parent: int) -> int | None:
    """pid of the vLLM API server judgebench (``parent``) started."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and "vllm.entrypoints.openai.api_server" in cmdline:
            return int(entry.name)
    return None


def test_vllm_server_killed_mid_generation(tmp_path: Path) -> None:
    canary = f"sk-canary-{secrets.token_hex(16)}"
    environ = env(key=canary)
    store = tmp_path / ".judgebench" / "store.sqlite"
    with FakeOpenAIServer() as srv:
        suite = _suite(tmp_path, srv.base_url)
        proc = subprocess.Popen(cmd("run", str(suite), "--out", str(tmp_path / "lb")), cwd=tmp_path, env=environ,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while _smol_rows(store) < 2:  # the server is up and answering
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        server = _vllm_server_of(proc.pid)
        assert server is not None, "no vLLM server process under judgebench"
        os.killpg(os.getpgid(server), signal.SIGKILL)
        out, err = proc.communicate()
        assert proc.returncode == 3, out + err
        assert "Traceback" not in err
        assert "smol" in err and "vLLM server" in err, err
        log = re.search(r"log: (\S+\.log)", err)
        assert log is not None and Path(log.group(1)).is_file(), err
        kept = {t: rows(store, t) for t in TABLES}
        n_kept = _smol_rows(store)
        assert 2 <= n_kept < N_PROMPTS, f"killed too late or too early: {n_kept} of {N_PROMPTS}"

        rerun = cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path, environ=environ)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    todo = re.search(r"generate: (\d+) planned, (\d+) to do", rerun.stdout)
    assert todo is not None, rerun.stdout
    assert int(todo.group(2)) == 2 * N_PROMPTS - len([r for r in kept["responses"].values() if r[1] == "ok"])
    after = {t: rows(store, t) for t in TABLES}
    for t in TABLES:
        assert all(after[t][k] == v for k, v in kept[t].items() if v[1] == "ok"), f"{t}: a stored row changed"
    assert _smol_rows(store) == N_PROMPTS
    leaked = [str(p) for p in written_files(tmp_path) if canary.encode() in p.read_bytes()]
    assert leaked == [] and canary not in out + err + rerun.stdout + rerun.stderr
    assert any(p.suffix == ".log" for p in written_files(tmp_path)), "the server logs were written elsewhere"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "vllm_kill.txt").write_text(f"smol responses kept at the kill: {n_kept} of {N_PROMPTS}\n"
                                           f"rerun: {todo.group(0)}\n--- stderr of the killed run ---\n{err}")
