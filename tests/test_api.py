"""The Python API (judgebench.open_store / judgebench.run) against a real store from a real run."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import judgebench
from judgebench.errors import ConfigError, JudgebenchError
from judgebench.testing.openai_server import FakeOpenAIServer
from tests.conftest import PROMPTS, REPO, cli, write_suite

N_RESPONSES = 3 * len(PROMPTS)  # 3 models (2 judged + the reference) x 6 prompts
N_JUDGMENTS = 2 * len(PROMPTS) * 2  # 2 judged models x 6 prompts x 2 orders


def test_all_is_locked() -> None:
    assert judgebench.__all__ == ["__version__", "open_store", "run"]
    for name in judgebench.__all__:
        assert getattr(judgebench, name) is not None
    with pytest.raises(AttributeError):
        judgebench.no_such_thing  # noqa: B018


def test_import_judgebench_stays_cheap() -> None:
    code = ("import sys, judgebench; judgebench.__all__; "
            "heavy = [m for m in ('pandas', 'numpy', 'vllm', 'torch', 'rich') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env=os.environ | {"PYTHONPATH": str(REPO)}, check=True)
    assert out.stdout.strip() == ""


def _cells_equal(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12)
    if a is None or b is None:  # JSON null vs a NaN cell
        other = b if a is None else a
        return other is None or (isinstance(other, float) and math.isnan(other))
    return a == b


def test_frames_and_leaderboard_match_the_cli(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    store = tmp_path / "store.sqlite"
    done = cli("run", str(suite), "--store", str(store), "--out", str(tmp_path / "lb"))
    assert done.returncode == 0, done.stderr
    cli_rows = json.loads((tmp_path / "lb" / "t" / "leaderboard.json").read_text())["rows"]

    with judgebench.open_store(store) as s:
        assert s.suites() == ["t"]
        responses = s.responses("t")
        judgments = s.judgments()  # the only suite in the store
        from_file = s.judgments(suite)
        board = s.leaderboard("t")
        board_from_file = s.leaderboard(suite)
    assert len(responses) == N_RESPONSES
    assert (responses["status"] == "ok").all()
    assert len(judgments) == N_JUDGMENTS
    assert set(judgments["model"]) == {"small", "large-model"}
    assert judgments["preference"].notna().all()
    assert len(from_file) == N_JUDGMENTS

    assert list(board["model"]) == [r["model"] for r in cli_rows]
    for frame in (board, board_from_file):
        api_rows = frame.to_dict(orient="records")
        assert len(api_rows) == len(cli_rows)
        for mine, theirs in zip(api_rows, cli_rows, strict=True):
            for column in ("model", "reference", "win_rate", "lc_win_rate", "n_total", "n_wins", "avg_length"):
                assert _cells_equal(mine[column], theirs[column]), (column, mine[column], theirs[column])


def test_closed_store_is_a_judgebench_error(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    store = tmp_path / "s.sqlite"
    judgebench.run(suite, store=store, out=tmp_path / "lb", stages=("generate",))
    with judgebench.open_store(store) as s:
        assert len(s.responses()) == N_RESPONSES
        assert (s.judgments()["status"] == "missing").all()
    with pytest.raises(ConfigError, match="closed"):
        s.responses()


def test_run_twice_sends_nothing_the_second_time(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    store = tmp_path / "s.sqlite"
    first = judgebench.run(suite, store=store, out=tmp_path / "lb")
    assert first.requests_sent == fake_server.counters.requests > 0
    assert first.leaderboard is not None and first.out_dir is not None
    assert (first.out_dir / "leaderboard.json").is_file()
    before = fake_server.counters.requests
    second = judgebench.run(suite, store=store, out=tmp_path / "lb")
    assert second.requests_sent == 0
    assert fake_server.counters.requests == before
    assert second.leaderboard is not None
    assert [r["model"] for r in second.leaderboard["rows"]] == [r["model"] for r in first.leaderboard["rows"]]


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    with pytest.raises(ConfigError, match="does not exist") as info:
        judgebench.open_store(missing)
    assert str(missing) in info.value.render()
    assert not missing.exists()  # nothing was created


def test_bad_arguments_are_judgebench_errors(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        judgebench.run(tmp_path / "missing.yaml")
    suite = write_suite(tmp_path, fake_server.base_url)
    with pytest.raises(ConfigError, match="Unknown stage"):
        judgebench.run(suite, stages=("generate", "deploy"))
    assert fake_server.counters.requests == 0
    store = tmp_path / "s.sqlite"
    judgebench.run(suite, store=store, out=tmp_path / "lb", stages=("generate",))
    with judgebench.open_store(store) as s, pytest.raises(JudgebenchError, match="No suite named"):
        s.leaderboard("other")
