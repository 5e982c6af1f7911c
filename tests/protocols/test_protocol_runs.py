"""Every protocol end to end through the real loopback OpenAI-compatible server: order undoing,
logprob weighting (and its fallback), repeated judgments, reference answers."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judgebench.errors import ConfigError, SuiteError
from judgebench.testing.openai_server import FakeOpenAIServer, Reply, logprob_reply
from tests.conftest import PROMPTS as _PROMPTS
from tests.conftest import write_suite
from tests.protocols.conftest import (
    Body,
    judge_responder,
    judgments_frame,
    labels,
    row,
    run_suite,
    shown_first,
)

PROMPTS: list[dict[str, Any]] = list(_PROMPTS)  # type: ignore[arg-type]
LARGE, REF = "large-model-xxl says:", "ref says:"


def _large_first(body: Body) -> bool | None:
    return shown_first(body, LARGE, REF)


def prefer_large(strength: str) -> Any:
    """A judge that prefers large-model over ref wherever it is shown (strength: 'strong'|'slight')."""

    def verdict(body: Body) -> dict[str, Any]:
        labs = labels(body)
        first = _large_first(body)
        if first is None:  # small vs ref: call it even
            tie = next(lab for lab in labs if lab in ("tie", "neither", "A=B"))
            return {"reasoning": "even", "verdict": tie}
        if len(labs) == 5:
            label = ({"strong": "A>>B", "slight": "A>B"} if first else {"strong": "B>>A", "slight": "B>A"})[strength]
        else:
            label = "A" if first else "B"
        return {"reasoning": "the large model is better", "verdict": label}

    return judge_responder(verdict)


@pytest.mark.parametrize(
    ("rubric", "strength", "expected"),
    [("pairwise", "strong", 1.0), ("lima", "strong", 1.0), ("pairwise-5", "strong", 1.0), ("pairwise-5", "slight", 0.75)],
)
def test_pairwise_protocols_undo_the_order(tmp_path: Path, rubric: str, strength: str, expected: float) -> None:
    with FakeOpenAIServer(prefer_large(strength)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": rubric})
        board = run_suite(suite, tmp_path)
    assert board["manifest"]["protocol"] == rubric
    frame = judgments_frame(suite, tmp_path)
    large = frame[frame["model"] == "large-model"]
    assert set(large["status"]) == {"ok"} and set(large["order"]) == {"AB", "BA"}
    # The presented labels differ between orders; the un-ordered preference does not.
    assert all(large.groupby("order")["label"].nunique() == 1)
    assert len(set(large["label"])) == 2
    assert (large["preference"] == expected).all()
    assert row(board, "large-model")["win_rate"] == pytest.approx(100 * expected)
    assert row(board, "small")["win_rate"] == pytest.approx(50.0)
    assert row(board, "large-model")["n_parse_failures"] == 0


def test_garbage_verdicts_are_parse_failures_for_pairwise_5(tmp_path: Path) -> None:
    with FakeOpenAIServer(judge_responder(lambda body: "I cannot decide, they are both fine.")) as srv:
        # The limit is lifted so the run completes (100% parse failures fail a run by default).
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": "pairwise-5", "max_parse_retries": 0},
                            extra="gate: {max_parse_failures: 1.0}\n")
        board = run_suite(suite, tmp_path)
    r = row(board, "large-model")
    assert r["n_parse_failures"] == 2 * len(PROMPTS) and r["win_rate"] is None


def test_bracket_fallback_when_the_judge_ignores_the_schema(tmp_path: Path) -> None:
    def verdict(body: Body) -> str:
        first = _large_first(body)
        return "Neither stands out. [[C]]" if first is None else f"Clearly better. [[{'A' if first else 'B'}]]"

    with FakeOpenAIServer(judge_responder(verdict)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": "lima", "structured": False})
        # structured: false sends no response_format, so route judge requests by their text.
        srv.responder = lambda body: verdict(body) if "significantly better" in str(body["messages"][-1]["content"]) \
            else judge_responder(verdict)(body)
        board = run_suite(suite, tmp_path)
    assert row(board, "large-model")["win_rate"] == 100.0 and row(board, "small")["win_rate"] == 50.0


def test_single_answer_protocols_grade_every_model(tmp_path: Path) -> None:
    def verdict(body: Body) -> dict[str, Any]:
        text = str(body["messages"][-1]["content"])
        grade = "Excellent" if LARGE in text else "Pass" if REF in text else "Fail"
        return {"reasoning": "graded", "verdict": grade}

    with FakeOpenAIServer(judge_responder(verdict)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": "absolute"})
        board = run_suite(suite, tmp_path)
    scores = {r["model"]: r["mean_score"] for r in board["rows"]}
    assert scores == {"large-model": 2.0, "ref": 1.0, "small": 0.0}


def test_reference_guided_shows_the_reference_answer(tmp_path: Path) -> None:
    seen: list[str] = []

    def verdict(body: Body) -> dict[str, Any]:
        seen.append(str(body["messages"][-1]["content"]))
        return {"reasoning": "r", "verdict": "A" if _large_first(body) else "B" if _large_first(body) is False else "tie"}

    prompts: list[dict[str, Any]] = [{"id": "q1", "prompt": "What is 6*7?", "reference_answer": "42, because six sevens are 42."},
               {"id": "q2", "turns": ["Pick a prime.", "Is it odd?"], "reference_answer": "7; yes, 7 is odd."}]
    with FakeOpenAIServer(judge_responder(verdict)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": "reference-guided"}, prompts=prompts)
        board = run_suite(suite, tmp_path)
    assert seen and all("[Reference answer]" in t for t in seen)
    assert any("six sevens are 42" in t for t in seen) and any("7 is odd" in t and "Is it odd?" in t for t in seen)
    assert row(board, "large-model")["win_rate"] == 100.0


def test_reference_guided_refuses_prompts_without_reference_answers(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", judge={"rubric": "reference-guided"})
    with pytest.raises(ConfigError, match="reference_answer"):
        run_suite(suite, tmp_path)


def _logprob_judge(with_logprobs: bool) -> Any:
    def verdict(body: Body) -> Reply:
        first = _large_first(body)
        winner = "tie" if first is None else "A" if first else "B"
        loser = "B" if winner == "A" else "A"
        # The reasoning starts with "A": a parser that took the first label-like token would misread it.
        text = json.dumps({"reasoning": "A close call", "verdict": winner})
        if not with_logprobs:
            return Reply(text, tokens=())  # the endpoint returns no logprobs
        assert body.get("logprobs") is True and body.get("top_logprobs")
        alternatives = {"tie": 0.8, "A": 0.1, "B": 0.1} if winner == "tie" else {winner: 0.7, loser: 0.2, "tie": 0.1}
        return logprob_reply(text, alternatives)

    return judge_responder(verdict)


@pytest.mark.parametrize(("with_logprobs", "expected"), [(True, 75.0), (False, 100.0)])
def test_logprob_weighted_verdicts_and_their_fallback(tmp_path: Path, with_logprobs: bool, expected: float) -> None:
    with FakeOpenAIServer(_logprob_judge(with_logprobs)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"logprobs": True})
        board = run_suite(suite, tmp_path)
    # 0.7 on the large model's label + half of 0.1 on "tie" = 0.75 in both orders.
    assert row(board, "large-model")["win_rate"] == pytest.approx(expected)
    assert row(board, "small")["win_rate"] == pytest.approx(50.0)
    frame = judgments_frame(suite, tmp_path)
    large = frame[frame["model"] == "large-model"]
    assert set(large["label"]) == {"A", "B"}  # the discrete label is kept next to the weighted preference


def test_logprobs_with_a_protocol_that_cannot_use_them_is_a_config_error(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", judge={"rubric": "pairwise-5", "logprobs": True})
    with pytest.raises(ConfigError, match="logprob"):
        run_suite(suite, tmp_path)


def test_repeated_judgments_mean_preference_and_agreement(tmp_path: Path) -> None:
    calls: Counter[str] = Counter()

    def verdict(body: Body) -> dict[str, Any]:
        first = _large_first(body)
        if first is None:
            return {"reasoning": "even", "verdict": "tie"}
        text = str(body["messages"][-1]["content"])
        calls[text] += 1  # the repeats of one judgment are the same request (with or without a seed)
        flip = "What is 2+2?" not in text and calls[text] % 3 == 0
        large_wins = not flip
        return {"reasoning": "r", "verdict": "A" if large_wins == first else "B"}

    with FakeOpenAIServer(judge_responder(verdict)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"samples": 3, "temperature": 0.7})
        board = run_suite(suite, tmp_path)
        assert srv.counters.completions == 3 * (len(PROMPTS) + 1) + 2 * len(PROMPTS) * 2 * 3
    frame = judgments_frame(suite, tmp_path)
    assert sorted(set(frame["sample"])) == [0, 1, 2]
    # p1 always agrees; on the 5 other prompts one sample in three flips: mean (5 * 2/3 + 1) / 6.
    assert row(board, "large-model")["win_rate"] == pytest.approx(100 * (5 * 2 / 3 + 1) / 6)
    agreement = board["reliability"]["repeat_agreement"]
    # small vs ref: always tie (12 groups agree); large: only p1's 2 groups of 12 agree.
    assert agreement == pytest.approx((12 + 2) / 24)


def test_samples_without_temperature_is_a_clear_config_error(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", judge={"samples": 3})
    with pytest.raises(SuiteError, match="temperature > 0"):
        run_suite(suite, tmp_path)


def test_reasoning_off_sends_a_verdict_only_schema_and_is_keyed(tmp_path: Path) -> None:
    schemas: list[dict[str, Any]] = []

    def verdict(body: Body) -> dict[str, Any]:
        schemas.append(body["response_format"]["json_schema"]["schema"])
        first = _large_first(body)
        return {"verdict": "tie" if first is None else "A" if first else "B"}

    with FakeOpenAIServer(judge_responder(verdict)) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"rubric": "pairwise", "reasoning": False})
        board = run_suite(suite, tmp_path)
        assert schemas and all(s["required"] == ["verdict"] and "reasoning" not in s["properties"] for s in schemas)
        assert row(board, "large-model")["win_rate"] == 100.0 and row(board, "small")["win_rate"] == 50.0
        first = _stored_judgments(tmp_path)
        suite.write_text(suite.read_text().replace("\"reasoning\": false", "\"reasoning\": true"))
        run_suite(suite, tmp_path)  # a different judge config: judged again, under new keys
    assert len(first) == 2 * 2 * len(PROMPTS) and len(_stored_judgments(tmp_path) - first) == len(first)


def _stored_judgments(tmp: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(tmp / "store.sqlite") as db:
        keys = {k for (k,) in db.execute("SELECT key FROM judgments")}
    db.close()
    return keys
