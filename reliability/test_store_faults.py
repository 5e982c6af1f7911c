"""The store's disk fills up, or its file system is read-only: exit 3 with a clear message naming
the store, no traceback, an intact store (``PRAGMA integrity_check``), and a rerun that completes.

Both use a real file system: a small tmpfs mounted for the test (root is needed, as in CI; the
tests skip with the reason where mounting is not permitted). chmod is no test here: root ignores it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer, default_responder
from reliability.helpers import TABLES, board, cli, count, integrity, plan, rows, write_suite


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _remount(mnt: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mnt)], check=True)


def _bulky(body: dict[str, Any]) -> str:
    """Long answers, so a few dozen responses fill half a megabyte."""
    text = default_responder(body)
    return text if body.get("response_format") else text + " filler" * 1200


def test_disk_full_stops_cleanly_and_the_store_survives(tmp_path: Path, tmpfs: Path) -> None:
    store = tmpfs / "store.sqlite"
    with FakeOpenAIServer(responder=_bulky) as srv:
        suite = write_suite(tmp_path / "s", srv.base_url, n_prompts=40, concurrency=4)
        expected = plan(suite)
        full = cli("run", str(suite), "--store", str(store), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert full.returncode == 3, full.stdout + full.stderr
        assert "Traceback" not in full.stderr
        assert str(store) in full.stderr and "disk is full" in full.stderr, full.stderr
        _remount(tmpfs, "size=64m")
        assert integrity(store) == "ok"
        kept = {t: rows(store, t) for t in TABLES}
        assert 0 < len(kept["responses"]) < expected.responses
        assert all(r[1] == "ok" for r in kept["responses"].values())

        done = cli("run", str(suite), "--store", str(store), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        clean_store = tmp_path / "clean.sqlite"
        clean = cli("run", str(suite), "--store", str(clean_store), "--out", str(tmp_path / "clean"), cwd=tmp_path)
        assert clean.returncode == 0, clean.stderr
    after = {t: rows(store, t) for t in TABLES}
    assert all(after["responses"][k] == v for k, v in kept["responses"].items())
    assert count(store, "responses") == expected.responses and count(store, "judgments") == expected.judgments
    assert integrity(store) == "ok"
    assert board(tmp_path / "lb") == board(tmp_path / "clean")


def test_read_only_store_is_a_clear_error_and_stays_intact(tmp_path: Path, tmpfs: Path) -> None:
    _remount(tmpfs, "size=16m")
    store = tmpfs / "store.sqlite"
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path / "s", srv.base_url, n_prompts=6, concurrency=4)
        expected = plan(suite)
        gen = cli("generate", str(suite), "--store", str(store), cwd=tmp_path)
        assert gen.returncode == 0, gen.stderr
        before = {t: rows(store, t) for t in TABLES}
        sent = srv.counters.requests
        _remount(tmpfs, "ro")
        try:
            ro = cli("run", str(suite), "--store", str(store), "--out", str(tmp_path / "lb"), cwd=tmp_path)
            assert ro.returncode == 3, ro.stdout + ro.stderr
            assert "Traceback" not in ro.stderr
            assert str(store) in ro.stderr and "read-only" in ro.stderr, ro.stderr
            assert srv.counters.requests == sent, "requests were sent although nothing could be stored"
        finally:
            _remount(tmpfs, "rw")
        assert integrity(store) == "ok"
        assert {t: rows(store, t) for t in TABLES} == before
        done = cli("run", str(suite), "--store", str(store), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert count(store, "judgments") == expected.judgments
