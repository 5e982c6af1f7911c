"""Published numbers recomputed from the public data in ../shared/data (skipped when absent).

LLMBar: accuracy and positional agreement as printed in its paper and in the ``statistics.json``
beside each ``result.json`` in princeton-nlp/LLMBar. PandaLM: the three pairwise inter-annotator
kappas its README reports (0.85 / 0.88 / 0.86).
"""

from __future__ import annotations

import json

import pytest

from judgebench.validation import ValidationReport, load_pairs, load_verdicts, score_recorded
from tests.conftest import SHARED_DATA

DATA = SHARED_DATA
LLMBAR = DATA / "llmbar" / "Dataset"
PANDALM = DATA / "pandalm" / "testset-v1.json"

needs_llmbar = pytest.mark.skipif(not LLMBAR.is_dir(), reason=f"LLMBar data not found at {LLMBAR}")
needs_pandalm = pytest.mark.skipif(not PANDALM.is_file(), reason=f"PandaLM data not found at {PANDALM}")


# (dataset folder, judge/strategy, accuracy %, positional agreement %)
PUBLISHED = [
    ("LLMBar/Natural", "GPT-4/Vanilla", 95.5, 95.0),
    ("LLMBar/Adversarial/Neighbor", "GPT-4/Vanilla", 78.73, 93.28),
    ("LLMBar/Adversarial/GPTInst", "GPT-4/Vanilla", 86.41, 94.57),
    ("LLMBar/Natural", "ChatGPT/Vanilla", 81.5, 71.0),
    ("LLMBar/Adversarial/Manual", "LLaMA2/Vanilla", 36.96, 65.22),
    ("Processed/MT-Bench", "GPT-4/Vanilla_NoRules", 81.0, 87.0),
]


def score(folder: str, judge: str) -> ValidationReport:
    pairs = load_pairs(LLMBAR / folder / "dataset.json", "mt-bench" if "MT-Bench" in folder else "llmbar")
    verdicts = load_verdicts(LLMBAR / folder / "evaluators" / judge / "result.json", "llmbar")
    return score_recorded(pairs, verdicts)


@needs_llmbar
@pytest.mark.parametrize(("folder", "judge", "accuracy", "agreement"), PUBLISHED)
def test_llmbar_published_accuracy_and_positional_agreement(
    folder: str, judge: str, accuracy: float, agreement: float
) -> None:
    report = score(folder, judge)
    assert report.accuracy is not None and report.positional_agreement is not None
    assert round(100 * report.accuracy, 2) == pytest.approx(accuracy, abs=0.005)
    assert round(100 * report.positional_agreement, 2) == pytest.approx(agreement, abs=0.005)


@needs_llmbar
def test_llmbar_per_order_accuracy() -> None:
    # statistics.json: correct_False 78 / 92, correct_True 81 / 92.
    report = score("LLMBar/Adversarial/GPTInst", "GPT-4/Vanilla")
    assert (report.accuracy_ab, report.accuracy_ba) == (pytest.approx(78 / 92), pytest.approx(81 / 92))


@needs_llmbar
def test_llmeval2_agreement_differs_only_by_double_failures() -> None:
    # LLMBar publishes equal = 175 / 200 = 87.5 %: its evaluate.py compares winners with ==, so a
    # pair refused in both orders (winner null twice: 5 content-policy refusals) "agrees". We never
    # count a failure as agreement, hence 170 / 200; accuracy (failures = wrong) is unchanged.
    report = score("Processed/LLMEval^2", "GPT-4/Vanilla_NoRules")
    assert report.accuracy == pytest.approx(0.755)
    assert report.parse_failures == {"AB": 6, "BA": 5}
    assert report.positional_agreement == pytest.approx((175 - 5) / 200)


@needs_llmbar
def test_result_files_line_up_with_their_datasets_and_are_not_swapped_twice() -> None:
    results = sorted(LLMBAR.glob("**/evaluators/*/*/result.json"))
    assert len(results) >= 24
    for path in results:
        dataset = path.parents[3] / "dataset.json"
        pairs = load_pairs(dataset, "llmbar")
        assert load_pairs(path, "llmbar") == pairs  # result.json repeats dataset.json row by row
        rows = json.loads(path.read_text(encoding="utf-8"))
        verdicts = iter(load_verdicts(path, "llmbar"))
        for row in rows:
            for key in ("swap = False", "swap = True"):
                entry, verdict = row["results"][-1][key], next(verdicts)
                said = entry["completion"][0]
                if said.startswith("Output (a)"):  # the first response shown won
                    assert verdict.winner == ("A" if key == "swap = False" else "B"), path


@needs_llmbar
def test_whole_dataset_folder_loads_with_prefixed_ids() -> None:
    pairs = load_pairs(LLMBAR / "LLMBar", "llmbar")
    assert len(pairs) == 419  # LLMBar's 100 natural + 319 adversarial pairs
    assert {p.id.rsplit("/", 1)[0] for p in pairs} == {
        "Natural",
        "Adversarial/Neighbor",
        "Adversarial/GPTInst",
        "Adversarial/GPTOut",
        "Adversarial/Manual",
    }


@needs_pandalm
def test_pandalm_inter_annotator_kappa() -> None:
    pairs = load_pairs(PANDALM, "pandalm")
    assert len(pairs) == 999
    kappas = score_recorded(pairs, []).inter_annotator_kappa
    # Unrounded: 0.8520, 0.8789, 0.8617; two-decimal rounding gives the published numbers exactly.
    assert {k: round(v, 2) for k, v in kappas.items() if v is not None} == {
        "1-2": 0.85,
        "1-3": 0.88,
        "2-3": 0.86,
    }


@needs_pandalm
def test_pandalm_input_is_appended_to_instruction() -> None:
    rows = json.loads(PANDALM.read_text(encoding="utf-8"))
    pairs = load_pairs(PANDALM, "pandalm")
    with_input = next(i for i, r in enumerate(rows) if r["input"])
    without = next(i for i, r in enumerate(rows) if not r["input"])
    assert pairs[with_input].prompt == rows[with_input]["instruction"] + "\n\n" + rows[with_input]["input"]
    assert pairs[without].prompt == rows[without]["instruction"]
    assert pairs[0].labels == ("B", "B", "B")  # annotators gave 2, 2, 2
