"""`judgebench run --shard i/n` on two "machines", `judgebench merge`, then one report: the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgebench.store import Store
from judgebench.testing.openai_server import FakeOpenAIServer
from tests.conftest import cli, write_suite
from tests.scaling.test_shard_merge import PROMPTS


def _board(out: Path) -> dict[str, Any]:
    board = json.loads((out / "t" / "leaderboard.json").read_text())
    board.get("manifest", {}).pop("created_at", None)
    return board


def test_sharded_runs_merge_into_the_one_machine_leaderboard(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url, prompts=PROMPTS)
    whole = cli("run", str(suite), "--store", str(tmp_path / "whole.sqlite"), "--out", str(tmp_path / "lb-whole"))
    assert whole.returncode == 0, whole.stderr
    for i in (1, 2):
        part = cli("run", str(suite), "--shard", f"{i}/2", "--store", str(tmp_path / f"m{i}.sqlite"),
                   "--out", str(tmp_path / f"lb-{i}"))
        assert part.returncode == 0, part.stderr
    merged = cli("merge", str(tmp_path / "m1.sqlite"), str(tmp_path / "m2.sqlite"), "--into", str(tmp_path / "all.sqlite"),
                 cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert "Merged 2 store(s)" in merged.stdout and "judgments:" in merged.stdout
    report = cli("report", "t", "--store", str(tmp_path / "all.sqlite"), "--out", str(tmp_path / "lb-all"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert _board(tmp_path / "lb-all") == _board(tmp_path / "lb-whole")
    assert _board(tmp_path / "lb-1") != _board(tmp_path / "lb-whole")


def test_bad_shard_and_bad_merges_exit_2_with_one_paragraph(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1")
    bad = cli("run", str(suite), "--shard", "3/2", "--store", str(tmp_path / "s.sqlite"))
    assert bad.returncode == 2 and "--shard 3/2 is not a shard" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "s.sqlite").exists()

    (tmp_path / "notes.txt").write_text("hello")
    foreign = cli("merge", str(tmp_path / "notes.txt"), "--into", str(tmp_path / "c.sqlite"), cwd=tmp_path)
    assert foreign.returncode == 2 and "not a judgebench store" in foreign.stderr and "Traceback" not in foreign.stderr

    for name, text in (("a", "one answer"), ("b", "another answer")):
        with Store(tmp_path / f"{name}.sqlite") as s:
            s.put_response("k1", status="ok", text=text, info={"model": "m", "prompt_id": "p1"})
    conflict = cli("merge", str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite"), "--into", str(tmp_path / "c.sqlite"),
                   cwd=tmp_path)
    assert conflict.returncode == 2, conflict.stderr
    assert "Cannot merge: 1 row(s)" in conflict.stderr and "model m, prompt_id p1" in conflict.stderr
    assert "Traceback" not in conflict.stderr and not (tmp_path / "c.sqlite").exists()
    kept = cli("merge", str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite"), "--into", str(tmp_path / "c.sqlite"),
               "--keep-first", cwd=tmp_path)
    assert kept.returncode == 0 and "first store's result was kept" in kept.stdout
