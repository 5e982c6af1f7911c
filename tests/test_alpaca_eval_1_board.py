"""The committed AlpacaEval 1 board: rebuilt from the public annotations by the one documented command.

`judgebench import alpaca-eval --suite-file suites/alpaca-eval-1.yaml` must reproduce AlpacaEval's
published win rates (ae1_leaderboard_rows.csv), carry each model's training facts into the
curated-versus-large chart, and say on the page who judged and that nothing was re-run. The data
root is $JUDGEBENCH_DATA or ../shared/data beside the repository; tests that need it skip without it.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

from tests.conftest import REPO, cli

SUITE = REPO / "suites" / "alpaca-eval-1.yaml"
BOARD = REPO / "leaderboards" / "alpaca-eval-1"
DATA = Path(os.environ.get("JUDGEBENCH_DATA") or REPO.parent / "shared" / "data")
ROWS = DATA / "alpaca_eval" / "ae1_leaderboard_rows.csv"
needs_data = pytest.mark.skipif(not (DATA / "alpaca_eval" / "ae1_annotations").is_dir(),
                                reason=f"public AlpacaEval 1 annotations not found under {DATA} "
                                       "(set JUDGEBENCH_DATA or put the shared data beside the repository)")
MODELS = {"alpaca-7b", "vicuna-13b", "guanaco-65b", "deita-7b-v1.0", "tulu-2-dpo-7b", "falcon-40b-instruct",
          "text_davinci_001", "gpt4"}


def published() -> dict[str, dict[str, str]]:
    with open(ROWS, newline="", encoding="utf-8") as f:
        return {r["model"]: r for r in csv.DictReader(f) if r["model"] in MODELS}


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The board written by the documented command, into a fresh store and folder."""
    tmp = tmp_path_factory.mktemp("ae1")
    r = cli("import", "alpaca-eval", "--suite-file", str(SUITE), "--data", str(DATA),
            "--store", str(tmp / "store.sqlite"), "--out", str(tmp / "lb"), cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    return tmp / "lb" / "alpaca-eval-1"


def _board(folder: Path) -> dict:
    return json.loads((folder / "leaderboard.json").read_text(encoding="utf-8"))


@needs_data
def test_rebuilt_win_rates_match_the_published_leaderboard(rebuilt: Path) -> None:
    rows = {r["model"]: r for r in _board(rebuilt)["rows"]}
    assert set(rows) == MODELS
    for model, pub in published().items():
        assert rows[model]["reference"] == "text_davinci_003"
        assert rows[model]["win_rate"] == pytest.approx(float(pub["win_rate"]), abs=0.05), model
        assert rows[model]["standard_error"] == pytest.approx(float(pub["standard_error"]), abs=0.05), model
        assert (rows[model]["n_wins"], rows[model]["n_draws"]) == (int(pub["n_wins"]), int(pub["n_draws"])), model


@needs_data
def test_committed_board_is_what_the_command_writes(rebuilt: Path) -> None:
    fresh, committed = _board(rebuilt), _board(BOARD)
    strip = ("created_at",)
    assert {k: v for k, v in fresh["manifest"].items() if k not in strip} == \
           {k: v for k, v in committed["manifest"].items() if k not in strip}
    assert [(r["model"], r["win_rate"], r["n_wins"]) for r in fresh["rows"]] == \
           [(r["model"], r["win_rate"], r["n_wins"]) for r in committed["rows"]]
    assert fresh["curated_vs_large"]["points"] == committed["curated_vs_large"]["points"]


def test_committed_win_rates_match_the_published_ones_to_one_decimal() -> None:
    """The page in the repository, against the figures AlpacaEval published (copied here, rounded)."""
    expected = {"gpt4": 95.3, "deita-7b-v1.0": 90.1, "tulu-2-dpo-7b": 84.2, "guanaco-65b": 71.8,
                "vicuna-13b": 70.4, "falcon-40b-instruct": 45.7, "alpaca-7b": 26.5, "text_davinci_001": 15.2}
    rows = {r["model"]: r["win_rate"] for r in _board(BOARD)["rows"]}
    assert {m: round(w, 1) for m, w in rows.items()} == expected
    md = (BOARD / "leaderboard.md").read_text(encoding="utf-8")
    assert "| guanaco-65b | text_davinci_003 | 4 | 71.8 |" in md


def test_committed_page_states_the_judge_and_that_nothing_was_rerun() -> None:
    page = (BOARD / "index.html").read_text(encoding="utf-8")
    description = re.search(r'<p class="lede" id="description">(.*?)</p>', page, re.S)
    assert description is not None
    text = description.group(1)
    assert "Judge: GPT-4" in text and "alpaca_eval_gpt4 for alpaca-7b" in text
    assert "alpaca_eval_gpt4_0613 for deita-7b-v1.0" in text
    assert "imported from AlpacaEval&#39;s published annotation files, not re-run by judgebench" in text
    assert "first 50 of the 805 prompts" in text
    explorer = json.loads(re.search(r'<script type="application/json" id="jb-explorer">(.*?)</script>',
                                    page, re.S).group(1))  # type: ignore[union-attr]
    assert len(explorer["prompts"]) == 50
    assert all(len(by_prompt) <= 50 for by_prompt in explorer["responses"].values())


def test_committed_chart_has_every_models_training_facts() -> None:
    points = {p["model"]: p for p in _board(BOARD)["curated_vs_large"]["points"]}
    assert set(points) == MODELS
    assert (points["alpaca-7b"]["examples"], points["alpaca-7b"]["curated"]) == (52002, False)
    assert (points["vicuna-13b"]["examples"], points["vicuna-13b"]["curated"]) == (70000, False)
    assert (points["guanaco-65b"]["examples"], points["guanaco-65b"]["curated"]) == (9846, True)
    assert (points["deita-7b-v1.0"]["examples"], points["deita-7b-v1.0"]["curated"]) == (6000, True)
    assert (points["tulu-2-dpo-7b"]["examples"], points["tulu-2-dpo-7b"]["curated"]) == (326154, False)
    for undisclosed in ("gpt4", "text_davinci_001"):
        assert points[undisclosed]["examples"] is None and points[undisclosed]["curated"] is None
        assert "undisclosed" in points[undisclosed]["dataset"]
    page = (BOARD / "index.html").read_text(encoding="utf-8")
    assert ('<th scope="row">gpt4</th><td>undisclosed (OpenAI)</td><td class="num">—</td><td>unknown</td>'
            in page)  # an undisclosed curation is "unknown", not "large-data"
    index = (REPO / "leaderboards" / "index.html").read_text(encoding="utf-8")
    assert '<a href="alpaca-eval-1/index.html">alpaca-eval-1</a>' in index


@needs_data
def test_importing_twice_keeps_one_copy(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    for _ in range(2):
        r = cli("import", "alpaca-eval", "--suite-file", str(SUITE), "--data", str(DATA),
                "--store", str(store), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    rows = {r["model"]: r for r in _board(tmp_path / "lb" / "alpaca-eval-1")["rows"]}
    assert rows["alpaca-7b"]["n_total"] == 805


def test_missing_data_root_is_a_clear_error(tmp_path: Path) -> None:
    r = cli("import", "alpaca-eval", "--suite-file", str(SUITE), "--store", str(tmp_path / "s.sqlite"),
            "--out", str(tmp_path / "lb"), cwd=tmp_path, env={"JUDGEBENCH_DATA": str(tmp_path / "absent")})
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr
    assert "$JUDGEBENCH_DATA" in r.stderr and "--data" in r.stderr
    assert not (tmp_path / "s.sqlite").exists() and not (tmp_path / "lb").exists()


def test_running_an_import_suite_says_how_to_import_it(tmp_path: Path) -> None:
    r = cli("report", str(SUITE), "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "lb"), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "judgebench import alpaca-eval --suite-file" in r.stderr and "Traceback" not in r.stderr
