"""Metrics checked against hand computations and a textbook kappa."""

from __future__ import annotations

import json

import pytest

from judgebench.errors import ConfigError
from judgebench.validation import LabelledPair, RecordedVerdict, cohen_kappa, majority_label, score_recorded


def test_kappa_matches_hand_computation() -> None:
    x = ["A", "A", "B", "B", "tie", "A"]
    y = ["A", "B", "B", "B", "tie", "A"]
    # observed 5/6; chance (3*2 + 2*3 + 1*1) / 36 = 13/36; kappa = (30 - 13) / (36 - 13)
    assert cohen_kappa(x, y) == pytest.approx(17 / 23)


def test_kappa_textbook_example() -> None:
    # Wikipedia's worked example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> kappa 0.4.
    x = ["y"] * 25 + ["n"] * 25
    y = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(x, y) == pytest.approx(0.4)


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["A", "A"], ["A", "A"]) is None  # chance agreement is 1: undefined
    assert cohen_kappa(["A", "B"], ["B", "A"]) == pytest.approx(-1.0)
    with pytest.raises(ValueError):
        cohen_kappa(["A"], ["A", "B"])


def test_majority_label() -> None:
    assert majority_label(("A", "B", "A")) == "A"
    assert majority_label(("tie",)) == "tie"
    assert majority_label(("A", "B")) is None
    assert majority_label(("A", "B", "tie")) is None


def pair(pid: str, *labels: str) -> LabelledPair:
    return LabelledPair(pid, "p", "a", "b", tuple(labels))  # type: ignore[arg-type]


def test_score_recorded_by_hand() -> None:
    pairs = [pair("1", "A", "A"), pair("2", "B", "B"), pair("3", "A", "B"), pair("4", "tie", "tie")]
    v = [
        RecordedVerdict("1", "AB", "A"),
        RecordedVerdict("1", "BA", "A"),  # correct, agrees
        RecordedVerdict("2", "AB", "A"),
        RecordedVerdict("2", "BA", "B"),  # one right, disagrees
        RecordedVerdict("3", "AB", None),
        RecordedVerdict("3", "BA", None),  # no gold; two failures never agree
        RecordedVerdict("4", "AB", "tie"),  # BA missing
    ]
    report = score_recorded(pairs, v)
    assert (report.n_pairs, report.n_gold, report.n_annotators) == (4, 3, 2)
    assert report.accuracy_ab == pytest.approx(2 / 3)  # pairs 1, 4 right; 2 wrong
    assert report.accuracy_ba == pytest.approx(2 / 3)  # pairs 1, 2 right; 4 missing = wrong
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.positional_agreement == pytest.approx(1 / 4)
    assert report.parse_failures == {"AB": 1, "BA": 1}
    assert report.missing == {"AB": 0, "BA": 1}
    # annotators 1 and 2: [A, B, A, tie] vs [A, B, B, tie]: observed 3/4, chance (2*1 + 1*2 + 1*1)/16
    assert report.inter_annotator_kappa == {"1-2": pytest.approx((12 - 5) / (16 - 5))}
    # judge vs annotator 1, AB order (pair 3 failed): [A, B, tie] vs [A, A, tie] -> (6 - 3) / (9 - 3)
    # BA order (3 failed, 4 missing): [A, B] vs [A, B] -> 1.0
    assert report.judge_kappa[0] == pytest.approx((0.5 + 1.0) / 2)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    text = report.to_markdown()
    assert "| accuracy (mean of both orders) | 66.67% |" in text
    assert "| parse failures (AB / BA) | 1 / 1 |" in text


def test_verdicts_must_match_pairs() -> None:
    with pytest.raises(ConfigError, match="not among the labelled pairs"):
        score_recorded([pair("1", "A")], [RecordedVerdict("2", "AB", "A")])
    with pytest.raises(ConfigError, match="two verdicts"):
        score_recorded([pair("1", "A")], [RecordedVerdict("1", "AB", "A")] * 2)


def test_empty_input_gives_nulls() -> None:
    report = score_recorded([], [])
    assert report.accuracy is None and report.positional_agreement is None
    assert "n/a" in report.to_markdown()
