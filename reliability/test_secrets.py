"""A canary API key in the environment never reaches anything judgebench writes.

The suites name the variable (``api_key_env``); the key is sent to the endpoint (the server
records it, which proves it was in use) and must appear in no file under the run's folder
(store, WAL and shared-memory files, logs, leaderboards, HTML, a published site) and in no output,
including error runs where the server quotes the key back in its error message.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from judgebench.testing.openai_server import FakeOpenAIServer, Faults
from reliability.helpers import KEY_ENV, cli, env, write_suite, written_files


def _canary() -> str:
    return f"sk-canary-{secrets.token_hex(16)}"


def _leaks(canary: str, folder: Path, *outputs: str) -> list[str]:
    found = [str(p) for p in written_files(folder) if canary.encode() in p.read_bytes()]
    found += [f"output {i}" for i, text in enumerate(outputs) if canary in text]
    # Also the key without its prefix, and its tail (what a partial echo would show).
    tail = canary[-12:]
    found += [f"{p} (tail)" for p in written_files(folder) if tail.encode() in p.read_bytes()]
    found += [f"output {i} (tail)" for i, text in enumerate(outputs) if tail in text]
    return found


def test_canary_key_is_written_nowhere_after_a_good_run(tmp_path: Path) -> None:
    canary = _canary()
    environ = env(key=canary)
    with FakeOpenAIServer(latency=0.001) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=6)
        run = cli("run", str(suite), "--out", str(tmp_path / "leaderboards"), cwd=tmp_path, environ=environ)
        assert run.returncode == 0, run.stderr
        assert srv.counters.api_keys == {canary}, "the key was not in use: the test would prove nothing"
    report = cli("report", str(suite), "--out", str(tmp_path / "leaderboards"), cwd=tmp_path, environ=environ)
    site = cli("publish", "--source", str(tmp_path / "leaderboards"), "--out", str(tmp_path / "site"), cwd=tmp_path,
               environ=environ)
    assert report.returncode == 0 and site.returncode == 0, report.stderr + site.stderr
    files = written_files(tmp_path)
    assert any(p.suffix == ".html" for p in files) and any(p.name.endswith(".sqlite") for p in files)
    assert _leaks(canary, tmp_path, run.stdout, run.stderr, report.stdout, report.stderr, site.stdout,
                  site.stderr) == []


def test_canary_key_is_written_nowhere_when_the_server_quotes_it_back(tmp_path: Path) -> None:
    """A 401 whose message holds the key (as real APIs do): stored as an error record and reported."""
    canary = _canary()
    environ = env(key=canary)
    faults = Faults(rate=0.3, kinds=("auth-echo",), seed=2, max_per_request=1)
    with FakeOpenAIServer(latency=0.001, faults=faults) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=6)
        run = cli("run", str(suite), "--out", str(tmp_path / "leaderboards"), cwd=tmp_path, environ=environ)
        debug = cli("--debug", "run", str(suite), "--out", str(tmp_path / "leaderboards"), cwd=tmp_path,
                    environ=environ)
        assert srv.counters.faults["auth-echo"] > 0
    assert run.returncode == 1, run.stderr
    assert "401" in run.stderr, run.stderr
    assert _leaks(canary, tmp_path, run.stdout, run.stderr, debug.stdout, debug.stderr) == []


def test_canary_key_is_written_nowhere_after_config_and_network_errors(tmp_path: Path) -> None:
    canary = _canary()
    environ = env(key=canary)
    down = write_suite(tmp_path / "down", "http://127.0.0.1:9/v1", n_prompts=3)
    unreachable = cli("run", str(down), cwd=tmp_path, environ=environ)
    assert unreachable.returncode == 3
    bad = write_suite(tmp_path / "bad", "http://127.0.0.1:9/v1", n_prompts=3, judge_extra={"orders": "sometimes"})
    invalid = cli("run", str(bad), cwd=tmp_path, environ=environ)
    assert invalid.returncode == 2
    # The key's variable is named, its value is not.
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path / "ok", srv.base_url, n_prompts=3)
        ok = cli("run", str(suite), cwd=tmp_path, environ=environ)
        srv.down = True
        suite.write_text(suite.read_text().replace('"cand-b"', '"cand-c"'))
        dropped = cli("run", str(suite), cwd=tmp_path, environ=environ)
    assert ok.returncode == 0 and dropped.returncode == 3, ok.stderr + dropped.stderr
    assert KEY_ENV not in canary
    assert _leaks(canary, tmp_path, unreachable.stdout, unreachable.stderr, invalid.stdout, invalid.stderr,
                  ok.stdout, ok.stderr, dropped.stdout, dropped.stderr) == []
