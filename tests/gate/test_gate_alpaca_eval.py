"""The gate on published AlpacaEval 1 judgments imported as a suite (public data; skipped when absent).

Published win rates against text_davinci_003: alpaca-7b 26.5, vicuna-13b 70.4, guanaco-65b 71.8
(ae1_leaderboard_rows.csv). deita-7b-v1.0 was annotated by alpaca_eval_gpt4_0613, the others by
alpaca_eval_gpt4: a real case of results judged under different judges.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, cli

AE1 = SHARED_DATA / "alpaca_eval"
MODELS = ["alpaca-7b", "vicuna-13b", "guanaco-65b", "deita-7b-v1.0", "tulu-2-dpo-7b"]
pytestmark = pytest.mark.skipif(not (AE1 / "ae1_annotations").is_dir(),
                                reason=f"public AlpacaEval data not found at {AE1}")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ae") / "store.sqlite"
    files = [str(AE1 / "ae1_annotations" / f"{m}.json") for m in MODELS]
    r = cli("import", "alpaca-eval", *files, "--suite", "ae1", "--store", str(path))
    assert r.returncode == 0, r.stderr
    return path


def gate(store: Path, candidate: str, baseline: str, out: Path) -> tuple[int, dict, str]:
    r = cli("gate", "ae1", "--store", str(store), "--candidate", candidate, "--baseline", baseline,
            "--rounds", "500", "--json", str(out))
    return r.returncode, json.loads(out.read_text()) if out.exists() else {}, r.stdout + r.stderr


def test_the_published_numbers_say_which_pair_is_within_noise() -> None:
    with open(AE1 / "ae1_leaderboard_rows.csv", newline="") as f:
        rows = {r["model"]: (float(r["win_rate"]), float(r["standard_error"])) for r in csv.DictReader(f)}
    (guanaco, se_g), (vicuna, se_v), (alpaca, _) = rows["guanaco-65b"], rows["vicuna-13b"], rows["alpaca-7b"]
    assert abs(guanaco - vicuna) < max(se_g, se_v)  # 1.4 points apart, each with a standard error of about 1.6
    assert vicuna - alpaca > 20 * se_v


def test_alpaca_7b_against_vicuna_13b_fails(store: Path, tmp_path: Path) -> None:
    code, result, out = gate(store, "alpaca-7b", "vicuna-13b", tmp_path / "g.json")
    assert code == 1, out
    c = result["comparison"]
    assert c["n"] == 805 and c["verdict"] == "B better" and c["ci_high"] < 0
    # The difference of the published win rates (26.46 - 70.43), on the same 805 prompts.
    assert c["diff"] == pytest.approx(26.459627329192543 - 70.43478260869566, abs=1e-6)
    assert [ch["name"] for ch in result["checks"] if not ch["passed"]] == ["regression"]


def test_vicuna_13b_against_alpaca_7b_passes(store: Path, tmp_path: Path) -> None:
    code, result, out = gate(store, "vicuna-13b", "alpaca-7b", tmp_path / "g.json")
    assert code == 0, out
    assert result["comparison"]["verdict"] == "A better"


@pytest.mark.parametrize(("candidate", "baseline"), [("vicuna-13b", "guanaco-65b"), ("guanaco-65b", "vicuna-13b")])
def test_models_within_noise_pass_both_ways(store: Path, tmp_path: Path, candidate: str, baseline: str) -> None:
    code, result, out = gate(store, candidate, baseline, tmp_path / "g.json")
    assert code == 0, out
    c = result["comparison"]
    assert c["verdict"] == "no significant difference" and c["ci_low"] < 0 < c["ci_high"]


def test_models_judged_by_different_annotators_are_refused(store: Path, tmp_path: Path) -> None:
    code, _, out = gate(store, "deita-7b-v1.0", "tulu-2-dpo-7b", tmp_path / "g.json")
    assert code == 2, out
    assert "'alpaca_eval_gpt4_0613' (candidate) vs 'alpaca_eval_gpt4' (baseline)" in out
