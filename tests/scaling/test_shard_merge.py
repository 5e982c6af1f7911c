"""Shards split a suite by prompt content; merging their stores gives the one-machine report."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from judgebench import generate, pipeline
from judgebench.errors import ConfigError
from judgebench.merge import MergeConflict, merge_stores
from judgebench.records import Prompt
from judgebench.shard import Shard
from judgebench.store import SCHEMA_VERSION, Store
from judgebench.testing.openai_server import FakeOpenAIServer
from tests.conftest import write_suite

PROMPTS = [{"id": f"q{i}", "prompt": f"Question {i}: say something about topic {i}.",
            "category": ["math", "writing", "chat"][i % 3]} for i in range(24)]
PROMPTS.append({"id": "multi", "turns": ["Name a colour.", "Why that one?"], "category": "chat"})


def _run(suite: Path, store: Path, tmp: Path, shard: Shard | None = None,
         stages: tuple[str, ...] = ("generate", "judge")) -> pipeline.PipelineResult:
    prepared = pipeline.prepare(suite, {})
    options = pipeline.RunOptions(store=store, leaderboards=tmp / "lb", env={}, shard=shard)
    return pipeline.run(prepared, options, stages)


def _board(suite: Path, store: Path, tmp: Path) -> dict[str, Any]:
    board = _run(suite, store, tmp, stages=("report",)).leaderboard
    assert board is not None
    board = json.loads(json.dumps(board, default=str))
    board.get("manifest", {}).pop("created_at", None)
    return board


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- shards -----------------------------------------------------------------------------------------


def test_shard_parse_accepts_i_of_n_and_explains_everything_else() -> None:
    assert Shard.parse("2/3") == Shard(2, 3)
    assert str(Shard.parse(" 1 / 2 ")) == "1/2"
    for bad in ("0/2", "3/2", "1/0", "a/b", "1-2", "", "1/2/3", "-1/2"):
        with pytest.raises(ConfigError, match="shard"):
            Shard.parse(bad)


def test_shards_partition_prompts_by_content_whatever_their_order_or_ids() -> None:
    prompts = [Prompt(f"id{i}", (f"prompt number {i}",)) for i in range(300)]
    for n in (1, 2, 3, 7):
        parts = [Shard(i, n).select(prompts) for i in range(1, n + 1)]
        ids = [p.id for part in parts for p in part]
        assert sorted(ids) == sorted(p.id for p in prompts), "every prompt in exactly one shard"
        assert len(ids) == len(set(ids))
        if n > 1:
            assert all(len(part) > 300 / n / 2 for part in parts), [len(p) for p in parts]
    renamed = [Prompt(f"other-{i}", p.turns) for i, p in enumerate(reversed(prompts))]
    assert {p.turns for p in Shard(1, 3).select(renamed)} == {p.turns for p in Shard(1, 3).select(prompts)}


def test_two_shards_merged_report_equals_one_machine_doing_everything(tmp_path: Path) -> None:
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url, prompts=PROMPTS)
        whole = _run(suite, tmp_path / "whole.sqlite", tmp_path)
        one_machine = srv.counters.requests
        a = _run(suite, tmp_path / "a.sqlite", tmp_path, Shard(1, 2))
        b = _run(suite, tmp_path / "b.sqlite", tmp_path, Shard(2, 2))
        assert srv.counters.requests == 2 * one_machine, "the shards together send what one machine sends"
    for stage in range(2):
        assert a.stages[stage].planned + b.stages[stage].planned == whole.stages[stage].planned
        assert min(a.stages[stage].planned, b.stages[stage].planned) > 0
    assert a.stages[1].blocked == b.stages[1].blocked == 0, "a shard never waits on the other's responses"

    before = {p: _digest(tmp_path / p) for p in ("a.sqlite", "b.sqlite")}
    summary = merge_stores([tmp_path / "a.sqlite", tmp_path / "b.sqlite"], tmp_path / "merged.sqlite")
    assert {p: _digest(tmp_path / p) for p in before} == before, "the inputs are never changed"
    with Store(tmp_path / "whole.sqlite") as w, Store(tmp_path / "merged.sqlite") as m:
        assert m.counts() == w.counts()
        assert m.integrity_ok()
    assert summary.added["judgments"] == whole.stages[1].planned
    assert _board(suite, tmp_path / "merged.sqlite", tmp_path) == _board(suite, tmp_path / "whole.sqlite", tmp_path)
    assert _board(suite, tmp_path / "a.sqlite", tmp_path) != _board(suite, tmp_path / "whole.sqlite", tmp_path)

    again = merge_stores([tmp_path / "a.sqlite", tmp_path / "b.sqlite"], tmp_path / "merged.sqlite")
    assert sum(again.added.values()) == 0, "merging twice changes nothing"
    rerun = _run(suite, tmp_path / "merged.sqlite", tmp_path)
    assert rerun.requests_sent == 0


# -- merge rules --------------------------------------------------------------------------------------


def _store(path: Path, rows: list[tuple[str, str, str | None]], judgments: list[tuple[str, str, str]] = ()) -> Path:
    with Store(path) as s:
        for key, status, text in rows:
            s.put_response(key, status=status, text=text, error=None if status == "ok" else "boom",
                           info={"model": "m", "prompt_id": key})
        for key, status, label in judgments:
            s.put_judgment(key, status=status, label=label, raw=f'{{"verdict": "{label}"}}', preference=1.0,
                           info={"model": "m", "reference": "r", "prompt_id": "p", "order": "AB"})
    return path


def test_ok_beats_failure_and_failures_keep_the_larger_attempts(tmp_path: Path) -> None:
    a = _store(tmp_path / "a.sqlite", [("k1", "error", None), ("k2", "ok", "two"), ("k3", "error", None)])
    with Store(a) as s:
        s.put_response("k3", status="error", error="again")  # attempts 2
    b = _store(tmp_path / "b.sqlite", [("k1", "ok", "one"), ("k2", "error", None), ("k3", "error", None),
                                       ("k4", "ok", "four")])
    merge_stores([a, b], tmp_path / "c.sqlite")
    with Store(tmp_path / "c.sqlite") as c:
        rows = c.responses(["k1", "k2", "k3", "k4"])
    assert {k: (r.status, r.text) for k, r in rows.items()} == {
        "k1": ("ok", "one"), "k2": ("ok", "two"), "k3": ("error", None), "k4": ("ok", "four")}
    assert rows["k3"].attempts == 2


def test_conflicting_ok_rows_are_refused_naming_them_and_nothing_is_written(tmp_path: Path) -> None:
    a = _store(tmp_path / "a.sqlite", [("k1", "ok", "the same"), ("k2", "ok", "sampled once")],
               [("j1", "ok", "A")])
    b = _store(tmp_path / "b.sqlite", [("k1", "ok", "the same"), ("k2", "ok", "sampled differently")],
               [("j1", "ok", "B")])
    with pytest.raises(MergeConflict) as err:
        merge_stores([a, b], tmp_path / "c.sqlite")
    text = err.value.render()
    assert "2 row(s)" in text and "Nothing was written" in text and "--shard" in text
    assert "sampled once" in text and "sampled differently" in text and str(a) in text and str(b) in text
    assert err.value.exit_code == 2
    assert not (tmp_path / "c.sqlite").exists()

    existing = _store(tmp_path / "d.sqlite", [("k9", "ok", "mine")])
    before = _digest(existing)
    with pytest.raises(MergeConflict):
        merge_stores([a, b], existing)
    assert _digest(existing) == before, "a refused merge leaves the destination as it was"

    kept = merge_stores([a, b], tmp_path / "c.sqlite", keep_first=True)
    assert kept.conflicts_kept_first == 2
    with Store(tmp_path / "c.sqlite") as c:
        assert c.responses(["k2"])["k2"].text == "sampled once"
        assert c.judgments(["j1"])["j1"].label == "A"


def test_merge_into_an_existing_store_and_into_one_of_the_inputs(tmp_path: Path) -> None:
    a = _store(tmp_path / "a.sqlite", [("k1", "ok", "one")])
    b = _store(tmp_path / "b.sqlite", [("k2", "ok", "two")])
    summary = merge_stores([a, b], a)
    assert summary.added["responses"] == 1
    with Store(a) as s:
        assert set(s.responses(["k1", "k2"])) == {"k1", "k2"}


@pytest.mark.parametrize("kind", ["missing", "folder", "text", "foreign-sqlite", "newer", "empty"])
def test_only_judgebench_stores_are_merged(tmp_path: Path, kind: str) -> None:
    good = _store(tmp_path / "good.sqlite", [("k1", "ok", "one")])
    bad = tmp_path / "bad.sqlite"
    if kind == "folder":
        bad.mkdir()
    elif kind == "text":
        bad.write_text("name: not a store\n")
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "foreign-sqlite":
        with sqlite3.connect(bad) as db:
            db.execute("CREATE TABLE responses (x)")
    elif kind == "newer":
        _store(bad, [])
        with sqlite3.connect(bad) as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(ConfigError) as err:
        merge_stores([good, bad], tmp_path / "out.sqlite")
    assert str(bad) in err.value.message
    assert not (tmp_path / "out.sqlite").exists()
    if kind == "foreign-sqlite":
        with pytest.raises(ConfigError, match="not a judgebench store"):
            merge_stores([good], bad)  # nor is a foreign database used as the destination
        with sqlite3.connect(bad) as db:
            assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["responses"]


def test_suites_saved_in_both_keep_the_newest_and_say_so(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    with Store(a) as s:
        s.save_suite("t", {"v": 1}, [{"id": "p1"}])
    with Store(b) as s:
        s.save_suite("t", {"v": 2}, [{"id": "p1"}])
        s.save_suite("other", {"v": 1}, [])
    summary = merge_stores([a, b], tmp_path / "c.sqlite")
    assert set(summary.suites) == {"t", "other"}
    assert any("'t' differs" in n for n in summary.notes)
    with Store(tmp_path / "c.sqlite") as c:
        saved = c.suite("t")
        assert saved is not None and saved[0] == {"v": 2}


def test_judging_manifests_are_unioned(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    with Store(a) as s:
        s.record_manifest("t", "m", {"judge": "x"})
    with Store(b) as s:
        s.record_manifest("t", "m", {"judge": "x"})
        s.record_manifest("t", "m", {"judge": "y"})
    merge_stores([a, b], tmp_path / "c.sqlite")
    with Store(tmp_path / "c.sqlite") as c:
        assert sorted(m["judge"] for m in c.manifests("t", "m")) == ["x", "y"]


def test_plan_keys_do_not_depend_on_the_shard(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", prompts=PROMPTS)
    prepared = pipeline.load(suite)
    keys = {p.key for p in generate.plan(prepared.suite, prepared.prompts)}
    parts = [generate.plan(prepared.suite, Shard(i, 3).select(prepared.prompts)) for i in (1, 2, 3)]
    assert set().union(*({p.key for p in part} for part in parts)) == keys
