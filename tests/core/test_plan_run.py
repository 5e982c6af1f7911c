"""The plan and the endpoints through the real CLI against a real loopback server.

What re-judges (judge.seed) and what does not (concurrency, timeouts); per-role concurrency when
a model and the judge share one server; reading results without the generation API keys.
"""

from __future__ import annotations

import json
from pathlib import Path

from judgebench.testing.openai_server import Counters, FakeOpenAIServer
from tests.conftest import PROMPTS, cli, write_suite

JUDGMENTS = 2 * len(PROMPTS) * 2  # two models under test x prompts x both orders


def _edit_judge(suite: Path, **fields: object) -> None:
    lines = suite.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("judge: "):
            lines[i] = "judge: " + json.dumps(json.loads(line[len("judge: "):]) | fields)
    suite.write_text("\n".join(lines) + "\n")


def test_changing_the_judge_seed_rejudges_and_concurrency_or_timeouts_do_not(
        tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, fake_server.base_url)
    assert cli("run", str(suite)).returncode == 0
    sent = fake_server.counters.requests

    _edit_judge(suite, concurrency=3, timeout=7, max_parse_retries=4)
    text = suite.read_text().replace('"timeout": 2}', '"timeout": 3, "concurrency": 5}')
    suite.write_text(text)
    res = cli("run", str(suite))
    assert res.returncode == 0, res.stderr
    assert fake_server.counters.requests == sent, "load settings must not change any key"

    _edit_judge(suite, seed=11)
    res = cli("run", str(suite))
    assert res.returncode == 0, res.stderr
    assert fake_server.counters.requests == sent + JUDGMENTS, "a new judge seed re-judges everything, only that"
    seeds = set()

    def record(_: int, body: dict[str, object]) -> None:
        seeds.add(body.get("seed"))

    fake_server.on_request = record
    _edit_judge(suite, seed=12)
    assert cli("run", str(suite)).returncode == 0
    assert seeds == {12}
    assert fake_server.counters.requests == sent + 2 * JUDGMENTS


def test_roles_that_share_a_server_keep_their_own_concurrency(tmp_path: Path) -> None:
    with FakeOpenAIServer(latency=0.05) as srv:
        models = [{"name": n, "model": n, "concurrency": 16} for n in ("small", "large-model", "ref")]
        suite = write_suite(tmp_path, srv.base_url, models=models, judge={"concurrency": 2})
        assert cli("generate", str(suite)).returncode == 0
        assert srv.counters.max_in_flight > 2, "generation drives the shared server harder than the judge may"
        srv.counters = Counters()
        res = cli("judge", str(suite))
        assert res.returncode == 0, res.stderr
        assert srv.counters.requests == JUDGMENTS
        assert srv.counters.max_in_flight == 2, f"judge.concurrency is 2, saw {srv.counters.max_in_flight} in flight"


def test_reading_stored_results_needs_no_api_key(tmp_path: Path, fake_server: FakeOpenAIServer) -> None:
    models = [{"name": n, "model": n, "api_key_env": "JB_GEN_KEY"} for n in ("small", "large-model", "ref")]
    suite = write_suite(tmp_path, fake_server.base_url, models=models, judge={"api_key_env": "JB_JUDGE_KEY"})
    keys = {"JB_GEN_KEY": "sk-generation-secret", "JB_JUDGE_KEY": "sk-judge-secret"}
    assert cli("run", str(suite), env=keys).returncode == 0
    sent = fake_server.counters.requests

    # No key at all: reading, comparing and gating on stored results, and a fully cached run.
    report = cli("report", str(suite), "--out", str(tmp_path / "lb"))
    assert report.returncode == 0, report.stderr
    assert json.loads((tmp_path / "lb" / "t" / "leaderboard.json").read_text())["rows"]
    compare = cli("compare", str(suite), "small", "large-model")
    assert compare.returncode == 0, compare.stderr
    gate = cli("gate", str(suite), "--candidate", "small", "--baseline", "large-model", "--no-run")
    assert gate.returncode in (0, 1), gate.stderr
    assert "JB_GEN_KEY" not in gate.stderr
    cached = cli("run", str(suite))
    assert cached.returncode == 0, cached.stderr
    assert fake_server.counters.requests == sent

    # The judge's key is enough for judging: generation has nothing to send.
    _edit_judge(suite, seed=3)
    judged = cli("run", str(suite), env={"JB_JUDGE_KEY": "sk-judge-secret"})
    assert judged.returncode == 0, judged.stderr
    assert fake_server.counters.requests == sent + JUDGMENTS

    # A role with requests to send and no key: exit 2, naming the variable.
    _edit_judge(suite, seed=4)
    missing = cli("run", str(suite))
    assert missing.returncode == 2
    assert "JB_JUDGE_KEY" in missing.stderr and "Traceback" not in missing.stderr
