"""validate-judge and suite validation sets: the suite's Judge, verdicts stored, credentials with intervals.

A real loopback server counts the requests; the store is a real SQLite file.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from judgebench.errors import SuiteError
from judgebench.judge_validation import run_suite_judge
from judgebench.testing.openai_server import FakeOpenAIServer, logprob_reply
from judgebench.validation import load_pairs
from judgebench.validation.formats import detect_format
from tests.conftest import PROMPTS, cli, write_suite

CREDENTIAL_KEYS = {"name", "pairs", "judgments", "scoring", "accuracy", "accuracy_ci", "positional_agreement",
                   "kappa", "kappa_ci", "parse_failure_rate", "chance", "published"}


def labelled_pairs(n: int) -> list[dict[str, Any]]:
    """``n`` pairs in which the longer response is the better one, alternating sides."""
    out = []
    for i in range(n):
        long, short = f"A careful, complete answer number {i} with detail.", f"ok {i}"
        a, b = (long, short) if i % 2 == 0 else (short, long)
        out.append({"id": str(i), "prompt": f"Question {i}?", "response_a": a, "response_b": b,
                    "label": "A" if i % 2 == 0 else "B"})
    return out


_SECTION = re.compile(r"\[Response A\]\n(.*?)\n\n\[Response B\]\n(.*?)\n", re.S)


def biased_judge(body: dict[str, Any]) -> Any:
    """Always answers "A" (a position bias no argmax survives), but its logprob margin is
    bias + signal: p(A) = sigmoid(2 + (1 if the first response is the longer else -1))."""
    first, second = _SECTION.search(body["messages"][-1]["content"]).groups()  # type: ignore[union-attr]
    p_a = 1 / (1 + math.exp(-(2 + (1 if len(first) > len(second) else -1))))
    text = json.dumps({"reasoning": "biased", "verdict": "A"})
    return logprob_reply(text, {"A": p_a, "B": (1 - p_a) * 0.9, "tie": (1 - p_a) * 0.1})


def test_a_rerun_sends_nothing_and_reports_intervals(tmp_path: Path) -> None:
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in labelled_pairs(20)))
    with FakeOpenAIServer() as srv:  # the default judge prefers the longer response
        suite = write_suite(tmp_path, srv.base_url)
        first = cli("validate-judge", "pairs.jsonl", "--suite", str(suite), "--json", "r1.json", cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert srv.counters.requests == 40
        again = cli("validate-judge", "pairs.jsonl", "--suite", str(suite), "--json", "r2.json", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert srv.counters.requests == 40, "stored verdicts are reused: a rerun sends zero requests"
    r1, r2 = (json.loads((tmp_path / f).read_text()) for f in ("r1.json", "r2.json"))
    assert r1 == r2
    cred = r1["credentials"]
    assert set(cred) == CREDENTIAL_KEYS
    assert (cred["accuracy"], cred["kappa"], cred["positional_agreement"]) == (1.0, 1.0, 1.0)
    assert cred["accuracy_ci"] == [1.0, 1.0] and cred["judgments"] == 40 and cred["pairs"] == 20
    assert "accuracy, 95% CI" in first.stdout


def test_debiased_logprob_scoring_recovers_what_argmax_loses(tmp_path: Path) -> None:
    from judgebench.validation.pairs import parse_pair

    rows = labelled_pairs(30)
    pairs = [parse_pair(r, tmp_path / "pairs.jsonl", i) for i, r in enumerate(rows)]
    with FakeOpenAIServer(responder=biased_judge) as srv:
        suite = write_suite(tmp_path, srv.base_url, judge={"logprobs": True})
        argmax = run_suite_judge(suite, pairs, {})
        assert srv.counters.requests == 60
        debiased = run_suite_judge(suite, pairs, {}, scoring="debiased-logprob")
        assert srv.counters.requests == 60, "debiased scoring reads the verdicts argmax stored"
    a, d = argmax.credentials, debiased.credentials
    assert a is not None and d is not None
    assert (a["scoring"], d["scoring"]) == ("argmax", "debiased-logprob")
    assert a["accuracy"] == 0.5 and a["positional_agreement"] == 0.0  # "A" every time
    assert d["accuracy"] == 1.0 and d["kappa"] == 1.0
    assert a["accuracy_ci"][0] <= 0.5 <= a["accuracy_ci"][1] and d["accuracy_ci"][0] > 0.5


def test_a_suite_validation_set_is_judged_by_run_and_shown_by_report(tmp_path: Path) -> None:
    data = tmp_path / "data" / "LLMEval^2"
    data.mkdir(parents=True)
    llmbar = [{"input": p["prompt"], "output_1": p["response_a"], "output_2": p["response_b"],
               "label": 1 if p["label"] == "A" else 2} for p in labelled_pairs(12)]
    (data / "dataset.json").write_text(json.dumps(llmbar, indent=1))
    extra = {"validation": [{"name": "tiny-set", "pairs": "data/LLMEval^2/dataset.json", "limit": 10}],
             "api_key_env": "JB_JUDGE_KEY"}
    with FakeOpenAIServer() as srv:
        suite = write_suite(tmp_path, srv.base_url, judge=extra)
        first = cli("run", str(suite), "--out", str(tmp_path / "lb"), env={"JB_JUDGE_KEY": "sk-judge"})
        assert first.returncode == 0, first.stderr
        sent = srv.counters.requests
        assert sent == 3 * 7 + 2 * 6 * 2 + 10 * 2  # generation, judging, the validation set's pairs x orders
        again = cli("run", str(suite), "--out", str(tmp_path / "lb"), env={"JB_JUDGE_KEY": "sk-judge"})
        assert again.returncode == 0 and srv.counters.requests == sent
        report = cli("report", str(suite), "--out", str(tmp_path / "lb2"))  # no key needed
        assert report.returncode == 0, report.stderr
    for out in ("lb", "lb2"):
        creds = json.loads((tmp_path / out / "t" / "leaderboard.json").read_text())["judge_credentials"]
        assert len(creds) == 1 and set(creds[0]) == CREDENTIAL_KEYS
        assert creds[0]["name"] == "tiny-set" and creds[0]["pairs"] == 10 and creds[0]["judgments"] == 20
        assert creds[0]["accuracy"] == 1.0 and creds[0]["chance"] == 0.5


def test_formats_are_read_from_content_not_from_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "Processed" / "LLMEval^2"
    folder.mkdir(parents=True)
    rows = [{"input": "q", "output_1": "a", "output_2": "b", "label": 2}]
    (folder / "dataset.json").write_text(json.dumps(rows, indent=2))
    (folder / "pairs.json").write_text(json.dumps(labelled_pairs(2)[0]) + "\n")  # JSONL named .json
    assert detect_format(folder / "dataset.json") == "llmbar"
    assert detect_format(folder / "pairs.json") == "jsonl"
    assert [p.labels for p in load_pairs(folder / "dataset.json")] == [("B",)]
    assert load_pairs(folder / "pairs.json")[0].response_a.startswith("A careful")
    (folder / "odd.json").write_text(json.dumps([{"question": "q"}]))
    with pytest.raises(SuiteError) as caught:
        load_pairs(folder / "odd.json")
    assert "Invalid pairs file" in caught.value.message and "suite file" not in caught.value.message
    assert "question" in caught.value.message


def test_the_judge_stage_reads_verdicts_debiased_when_the_suite_says_so(tmp_path: Path) -> None:
    from judgebench import pipeline
    from judgebench.report import frames
    from judgebench.store import Store
    from judgebench.testing.openai_server import default_responder

    def responder(body: dict[str, Any]) -> Any:
        return biased_judge(body) if body.get("response_format") else default_responder(body)

    with FakeOpenAIServer(responder=responder) as srv:
        single_turn = [p for p in PROMPTS if "prompt" in p]
        suite = write_suite(tmp_path, srv.base_url, judge={"scoring": "debiased-logprob"}, prompts=single_turn)
        prepared = pipeline.prepare(suite)
        store = tmp_path / "store.sqlite"
        pipeline.run(prepared, pipeline.RunOptions(store=store, leaderboards=tmp_path / "lb"))
    with Store(store) as s:
        judgments, responses = frames(prepared.suite, prepared.prompts, prepared.rubric, s)
    assert (judgments["status"] == "ok").all()
    text = {(r.model, r.prompt_id): r.text for r in responses.itertuples()}
    for j in judgments.itertuples():
        mine, theirs = len(text[(j.model, j.prompt_id)]), len(text[("ref", j.prompt_id)])
        if mine != theirs:  # the judge said "A" every time; the margins say which is longer
            assert (j.preference > 0.5) == (mine > theirs), (j.model, j.prompt_id, j.order, j.preference)
    assert judgments.groupby(["model", "prompt_id"])["preference"].nunique().max() == 1
    from judgebench.stats import reliability

    # each order's own verdict is kept: the judge said "A" whatever it saw, so it is inconsistent, and
    # the suite's position consistency says so (the debiased preferences agree by construction)
    assert (judgments.loc[judgments["order"] == "AB", "raw_preference"] > 0.5).all()  # "A" is the model
    assert (judgments.loc[judgments["order"] == "BA", "raw_preference"] < 0.5).all()  # "A" is the reference
    assert reliability(judgments).position_consistency == 0.0
    board = json.loads((tmp_path / "lb" / "t" / "leaderboard.json").read_text())
    assert board["judge_adequacy"]["status"] == "too weak"  # unvalidated and position-blind: not excused
