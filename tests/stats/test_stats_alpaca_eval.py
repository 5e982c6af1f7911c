"""The AlpacaEval reader, and the published AlpacaEval 1 leaderboard reproduced from its annotations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from stats_helpers import DATA

from judgebench.aggregate import build_leaderboard
from judgebench.errors import ConfigError
from judgebench.importers import prompt_id, read_alpaca_eval, to_frames
from judgebench.stats import StatsOptions

AE1 = DATA / "alpaca_eval"
COLUMNS = ["win_rate", "standard_error", "n_wins", "n_wins_base", "n_draws", "n_total", "discrete_win_rate", "avg_length"]
needs_data = pytest.mark.skipif(
    not (AE1 / "ae1_annotations").is_dir(), reason=f"public AlpacaEval data not found at {AE1.resolve()}"
)


@pytest.fixture(scope="module")
def ae1_board() -> dict:
    annotations = read_alpaca_eval(sorted((AE1 / "ae1_annotations").glob("*.json")))
    judgments, responses = to_frames(annotations)
    options = StatsOptions(rounds=200, lc_rounds=20, bt_rounds=20)
    return build_leaderboard(judgments, responses, [], {"suite": "ae1"}, options)


@needs_data
def test_published_alpaca_eval_1_columns(ae1_board: dict) -> None:
    published = pd.read_csv(AE1 / "ae1_leaderboard_rows.csv").set_index("model")
    rows = {r["model"]: r for r in ae1_board["rows"]}
    assert len(rows) == 8
    for model, row in rows.items():
        for column in COLUMNS:
            assert row[column] == pytest.approx(float(published.loc[model, column]), abs=1e-6), (model, column)


@needs_data
def test_one_unparsed_row_is_a_parse_failure(ae1_board: dict) -> None:
    row = next(r for r in ae1_board["rows"] if r["model"] == "text_davinci_001")
    assert (row["n_parse_failures"], row["n_ok"], row["n_total"]) == (1, 804, 804)
    assert row["position_consistency"] is None  # the files do not say which order was shown


@needs_data
def test_star_graph_bradley_terry_equals_win_rate(ae1_board: dict) -> None:
    # Every model only meets the reference: the BT MLE is logit(win rate) (ridge 1e-3 aside).
    for row in ae1_board["rows"]:
        assert row["bt_rating"] == pytest.approx(row["win_rate"], abs=0.01)


@needs_data
def test_length_control_tracks_published_lc(ae1_board: dict) -> None:
    """Sanity, not equality: AlpacaEval's LC uses difficulties fitted on its whole leaderboard."""
    published = pd.read_csv(AE1 / "ae1_leaderboard_rows.csv").set_index("model")
    ours = {r["model"]: r["lc_win_rate"] for r in ae1_board["rows"]}
    theirs = [published.loc[m, "length_controlled_winrate"] for m in ours]
    assert spearmanr(list(ours.values()), theirs).statistic > 0.95
    assert np.mean(np.abs(np.array(list(ours.values())) - theirs)) < 5.0


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows))
    return path


def _row(instruction: str, model: str, preference: object, ref_out: str = "r", out: str = "m") -> dict:
    return {
        "instruction": instruction,
        "dataset": "oasst",
        "output_1": ref_out,
        "generator_1": "davinci",
        "output_2": out,
        "generator_2": model,
        "annotator": "gpt4",
        "preference": preference,
    }


def test_reader_maps_preferences(tmp_path: Path) -> None:
    rows = [_row("a", "m1", 2), _row("b", "m1", "1"), _row("c", "m1", 0), _row("d", "m1", None), _row("e", "m1", 1.25)]
    annotations = read_alpaca_eval([_write(tmp_path / "m1.json", rows)])
    assert [j.preference for j in annotations.judgments] == [1.0, 0.0, 0.5, None, 0.25]
    assert [j.status for j in annotations.judgments][3] == "parse_failure"
    assert annotations.references == ("davinci",) and annotations.models == ("m1",)
    assert annotations.prompts[0].id == prompt_id("a") and annotations.prompts[0].category == "oasst"
    judgments, responses = to_frames(annotations)
    assert list(judgments["status"]) == ["ok", "ok", "ok", "parse_failure", "ok"]
    assert np.isnan(judgments["preference"].iloc[3])
    assert set(responses["model"]) == {"davinci", "m1"} and len(responses) == 10


def test_reader_merges_files_and_checks_reference_outputs(tmp_path: Path) -> None:
    one = _write(tmp_path / "m1.json", [_row("a", "m1", 2)])
    two = _write(tmp_path / "m2.json", [_row("a", "m2", 1)])
    annotations = read_alpaca_eval([one, two])
    assert len(annotations.prompts) == 1 and annotations.models == ("m1", "m2")
    assert len(annotations.outputs) == 3  # the reference's answer is stored once
    clash = _write(tmp_path / "m3.json", [_row("a", "m3", 1, ref_out="another answer")])
    with pytest.raises(ConfigError, match="two different outputs"):
        read_alpaca_eval([one, clash])


@pytest.mark.parametrize("bad", [3, -1, "win", 0.5])
def test_reader_rejects_bad_preferences(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ConfigError, match="preference"):
        read_alpaca_eval([_write(tmp_path / "bad.json", [_row("a", "m1", bad)])])


def test_reader_rejects_missing_fields(tmp_path: Path) -> None:
    row = _row("a", "m1", 2)
    del row["output_2"]
    with pytest.raises(ConfigError, match="output_2"):
        read_alpaca_eval([_write(tmp_path / "bad.json", [row])])
