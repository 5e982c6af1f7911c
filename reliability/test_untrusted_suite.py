"""A suite from a pull request is untrusted: it must not leak secrets, block, or crash.

Through the real CLI against a live loopback server (so "before any request" is counted where
requests arrive): rubric, prompt and suite paths that escape the suite's folder tree or are not
regular files (rubrics, prompts, validation pairs); YAML alias bombs; credentials inside ``base_url``; keys and ports that cannot be
used; numbers with no sane bound; ``--out`` folders that cannot be written; foreign or corrupt
stores; non-finite flags; a judge whose every verdict is unreadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer
from reliability.helpers import KEY_ENV, cli, env, write_suite, written_files

BODY = "{# protocol: pairwise #}\nWhich is better?\n[Response A]\n{{ response_a }}\n\n[Response B]\n{{ response_b }}\n"


@pytest.fixture
def live() -> Iterator[FakeOpenAIServer]:
    """A server that records every body it receives (to prove nothing was sent)."""
    bodies: list[str] = []
    with FakeOpenAIServer(on_request=lambda n, body: bodies.append(json.dumps(body))) as srv:
        srv.bodies = bodies  # type: ignore[attr-defined]
        yield srv


def _refused(res: object, code: int, *words: str) -> None:
    out = res.stdout + res.stderr  # type: ignore[attr-defined]
    assert res.returncode == code, f"exit {res.returncode}:\n{out}"  # type: ignore[attr-defined]
    assert "Traceback" not in out
    assert res.stderr.startswith("error: "), res.stderr  # type: ignore[attr-defined]
    for w in words:
        assert w in res.stderr, f"{w!r} not in:\n{res.stderr}"  # type: ignore[attr-defined]


# -- 1. paths a suite names --------------------------------------------------------------------------

def _outside(tmp: Path) -> Path:
    other = tmp / "elsewhere"
    other.mkdir(exist_ok=True)
    (other / "stolen.j2").write_text(BODY + "{{ prompt }}\n")
    (other / "stolen.jsonl").write_text('{"id": "s", "prompt": "secret prompt"}\n')
    return other


RUBRIC_PATHS: dict[str, Callable[[Path, Path], str]] = {
    "proc-environ": lambda suite_dir, tmp: "/proc/self/environ",
    "etc-passwd": lambda suite_dir, tmp: "/etc/passwd",
    "dev-zero": lambda suite_dir, tmp: "/dev/zero",
    "absolute-elsewhere": lambda suite_dir, tmp: str(_outside(tmp) / "stolen.j2"),
    "dotdot-escape": lambda suite_dir, tmp: (_outside(tmp), "../elsewhere/stolen.j2")[1],
    "symlink-out": lambda suite_dir, tmp: (
        _outside(tmp), (suite_dir / "link.j2").symlink_to(tmp / "elsewhere" / "stolen.j2"), "link.j2")[2],
    "symlink-to-proc": lambda suite_dir, tmp: ((suite_dir / "env.j2").symlink_to("/proc/self/environ"), "env.j2")[1],
    "symlink-loop": lambda suite_dir, tmp: (
        (suite_dir / "a.j2").symlink_to(suite_dir / "b.j2"), (suite_dir / "b.j2").symlink_to(suite_dir / "a.j2"),
        "a.j2")[2],
    "fifo": lambda suite_dir, tmp: (os.mkfifo(suite_dir / "pipe.j2"), "pipe.j2")[1],
    "folder": lambda suite_dir, tmp: ((suite_dir / "dir.j2").mkdir(), "dir.j2")[1],
    "not-j2": lambda suite_dir, tmp: ((suite_dir / "rubric.txt").write_text(BODY), "rubric.txt")[1],
}


@pytest.mark.parametrize("case", sorted(RUBRIC_PATHS))
def test_a_rubric_path_outside_the_tree_is_refused_before_any_request(tmp_path: Path, live: FakeOpenAIServer,
                                                                     case: str) -> None:
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    rubric = RUBRIC_PATHS[case](suite_dir, tmp_path)
    canary = f"sk-canary-{secrets.token_hex(12)}"
    suite = write_suite(suite_dir, live.base_url, n_prompts=2, judge_extra={"rubric": rubric})
    res = cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path, environ=env(key=canary))
    _refused(res, 2, "judge.rubric")
    assert live.counters.requests == 0, "a request was sent"
    assert not (suite_dir / ".judgebench").exists() and not (tmp_path / "lb").exists()
    assert canary not in res.stdout + res.stderr and "root:" not in res.stderr


def test_a_rubric_inside_the_tree_and_a_packaged_rubric_are_accepted(tmp_path: Path, live: FakeOpenAIServer) -> None:
    """The refusals above are not blanket: a sub-folder's template and a built-in name both run."""
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "mine.j2").write_text(BODY + 'Answer with JSON {"verdict": "A" | "B" | "tie"}.\n')
    for rubric in ("rubrics/mine.j2", "pairwise"):
        suite = write_suite(tmp_path, live.base_url, n_prompts=2, judge_extra={"rubric": rubric})
        res = cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert res.returncode == 0, res.stderr


def test_a_rubric_that_never_shows_an_answer_is_refused(tmp_path: Path, live: FakeOpenAIServer) -> None:
    (tmp_path / "blind.j2").write_text("{# protocol: pairwise #}\nSay A. {{ prompt }} {{ response_a }}\n")
    suite = write_suite(tmp_path, live.base_url, n_prompts=2, judge_extra={"rubric": "blind.j2"})
    res = cli("run", str(suite), cwd=tmp_path)
    _refused(res, 2, "blind.j2", "response_b")
    assert live.counters.requests == 0


PROMPT_PATHS: dict[str, Callable[[Path, Path], str]] = {
    "proc-environ": lambda d, tmp: "/proc/self/environ",
    "dev-zero": lambda d, tmp: "/dev/zero",
    "absolute-elsewhere": lambda d, tmp: str(_outside(tmp) / "stolen.jsonl"),
    "dotdot-escape": lambda d, tmp: (_outside(tmp), "../elsewhere/stolen.jsonl")[1],
    "symlink-out": lambda d, tmp: (_outside(tmp), (d / "p.jsonl").symlink_to(tmp / "elsewhere" / "stolen.jsonl"),
                                   "p.jsonl")[2],
    "symlink-loop": lambda d, tmp: ((d / "x.jsonl").symlink_to(d / "y.jsonl"), (d / "y.jsonl").symlink_to(d / "x.jsonl"),
                                    "x.jsonl")[2],
    "fifo": lambda d, tmp: (os.mkfifo(d / "pipe.jsonl"), "pipe.jsonl")[1],
}


@pytest.mark.parametrize("case", sorted(PROMPT_PATHS))
def test_a_prompt_file_outside_the_tree_or_not_regular_is_refused(tmp_path: Path, live: FakeOpenAIServer,
                                                                 case: str) -> None:
    suite_dir = tmp_path / "suite"
    suite = write_suite(suite_dir, live.base_url, n_prompts=2)
    target = PROMPT_PATHS[case](suite_dir, tmp_path)
    data = json.loads(suite.read_text())
    suite.write_text(json.dumps(data | {"prompts": target}))
    res = cli("run", str(suite), cwd=tmp_path)
    _refused(res, 2, "prompts")
    assert live.counters.requests == 0
    assert "secret prompt" not in res.stderr


@pytest.mark.parametrize("case", sorted(PROMPT_PATHS))
def test_a_validation_pairs_file_outside_the_tree_or_not_regular_is_refused(tmp_path: Path, live: FakeOpenAIServer,
                                                                           case: str) -> None:
    """``judge.validation[].pairs`` is sent to the judge like the prompts: the same bounds apply."""
    suite_dir = tmp_path / "suite"
    target = PROMPT_PATHS[case](suite_dir.mkdir() or suite_dir, tmp_path)
    suite = write_suite(suite_dir, live.base_url, n_prompts=2,
                        judge_extra={"validation": [{"name": "stolen", "pairs": target}]})
    res = cli("run", str(suite), cwd=tmp_path)
    _refused(res, 2, "judge.validation[0].pairs")
    assert live.counters.requests == 0
    assert "secret prompt" not in res.stderr


SUITE_PATHS: dict[str, Callable[[Path], Path]] = {
    "fifo": lambda d: (os.mkfifo(d / "s.yaml"), d / "s.yaml")[1],
    "dev-zero": lambda d: Path("/dev/zero"),
    "symlink-loop": lambda d: ((d / "l.yaml").symlink_to(d / "m.yaml"), (d / "m.yaml").symlink_to(d / "l.yaml"),
                               d / "l.yaml")[2],
    "folder": lambda d: ((d / "f.yaml").mkdir(), d / "f.yaml")[1],
}


@pytest.mark.parametrize("case", sorted(SUITE_PATHS))
def test_a_suite_path_that_is_no_regular_file_is_refused(tmp_path: Path, case: str) -> None:
    res = cli("run", str(SUITE_PATHS[case](tmp_path)), cwd=tmp_path)
    _refused(res, 2, "suite file")


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("name: bomb\n" + "\n".join(lines) + "\n")
    assert (tmp_path / "bomb.yaml").stat().st_size < 2000
    res = cli("run", str(tmp_path / "bomb.yaml"), cwd=tmp_path)
    _refused(res, 2, "bomb.yaml", "aliases")


# -- credentials in base_url ---------------------------------------------------------------------

def test_credentials_in_base_url_are_written_and_shown_nowhere(tmp_path: Path, live: FakeOpenAIServer) -> None:
    user_pw, query_key = f"u:pw{secrets.token_hex(8)}", f"q{secrets.token_hex(10)}"
    host = live.base_url.split("://", 1)[1]
    url = f"http://{user_pw}@{host}?api-key={query_key}"
    suite = write_suite(tmp_path, url, n_prompts=3)
    run = cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert live.counters.completions > 0, "the URL with credentials was used"
    report = cli("report", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path)
    site = cli("publish", "--source", str(tmp_path / "lb"), "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert report.returncode == 0 and site.returncode == 0, report.stderr + site.stderr
    live.down = True  # now the same URL in an error message
    suite.write_text(suite.read_text().replace('"cand-b"', '"cand-c"'))
    down = cli("run", str(suite), cwd=tmp_path)
    assert down.returncode == 3, down.stderr
    secret_parts = [user_pw.split(":")[1], query_key]
    outputs = run.stdout + run.stderr + report.stdout + site.stdout + down.stdout + down.stderr
    leaked = [str(p) for p in written_files(tmp_path) if p.name != "suite.yaml"
              and any(s.encode() in p.read_bytes() for s in secret_parts)]
    leaked += [s for s in secret_parts if s in outputs]
    assert leaked == []
    board = json.loads((tmp_path / "lb" / "rel" / "leaderboard.json").read_text())
    assert "redacted-" in json.dumps(board["manifest"]), "the manifest keeps a hash in place of the secret"


def test_a_bad_port_and_a_non_ascii_key_exit_2_naming_the_field_not_the_value(tmp_path: Path) -> None:
    secret = "pw" + secrets.token_hex(6)
    suite = write_suite(tmp_path / "port", f"http://u:{secret}@127.0.0.1:99999/v1", n_prompts=2)
    res = cli("run", str(suite), cwd=tmp_path)
    _refused(res, 2, "base_url", "port")
    assert secret not in res.stderr
    key = "sk-t\u00e9st-" + secrets.token_hex(6)
    suite = write_suite(tmp_path / "key", "http://127.0.0.1:9/v1", n_prompts=2)
    res = cli("run", str(suite), cwd=tmp_path, environ=env(key=key))
    _refused(res, 2, KEY_ENV)
    assert key not in res.stderr and key[-12:] not in res.stderr


# -- numbers with no sane bound ------------------------------------------------------------------

BOUNDS = {
    "bootstrap": ({"stats": {"bootstrap_rounds": 1e12}}, "stats.bootstrap_rounds"),
    "max-wait": ({"retry": {"attempts": 3, "max_wait": 1e9}}, "retry.max_wait"),
    "deadline-inf": ({"retry": {"deadline": float("inf")}}, "retry.deadline"),
    "temperature-nan": ({"generation": {"temperature": float("nan")}}, "generation.temperature"),
    "gate-rounds": ({"gate": {"rounds": 10**9}}, "gate.rounds"),
    "max-tokens": ({"generation": {"max_tokens": 10**12}}, "generation.max_tokens"),
}


@pytest.mark.parametrize("case", sorted(BOUNDS))
def test_a_number_without_a_sane_bound_is_refused(tmp_path: Path, live: FakeOpenAIServer, case: str) -> None:
    extra, field = BOUNDS[case]
    suite = write_suite(tmp_path, live.base_url, n_prompts=2, top_extra=extra)
    text = suite.read_text().replace("Infinity", ".inf").replace("NaN", ".nan")  # YAML spellings
    suite.write_text(text)
    res = cli("run", str(suite), cwd=tmp_path)
    _refused(res, 2, field)
    assert live.counters.requests == 0


def test_an_endpoint_timeout_without_bound_is_refused(tmp_path: Path) -> None:
    suite = write_suite(tmp_path, "http://127.0.0.1:9/v1", n_prompts=2, timeout=1e12)
    _refused(cli("run", str(suite), cwd=tmp_path), 2, "timeout")


@pytest.mark.parametrize("flag", [["--max-cost", "nan"], ["--max-cost", "inf"], ["--max-cost", "-1"]])
def test_non_finite_flags_are_refused(tmp_path: Path, live: FakeOpenAIServer, flag: list[str]) -> None:
    suite = write_suite(tmp_path, live.base_url, n_prompts=2)
    res = cli("run", str(suite), *flag, cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert "--max-cost" in res.stderr
    assert live.counters.requests == 0


def test_max_cost_without_prices_warns_it_cannot_be_enforced(tmp_path: Path, live: FakeOpenAIServer) -> None:
    suite = write_suite(tmp_path, live.base_url, n_prompts=2)
    res = cli("run", str(suite), "--max-cost", "5", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "warning: --max-cost cannot be enforced" in res.stderr and "prices" in res.stderr
    priced = write_suite(tmp_path / "priced", live.base_url, n_prompts=2,
                         model_extra={"prices": {"input_per_mtok": 1, "output_per_mtok": 2}},
                         judge_extra={"prices": {"input_per_mtok": 1, "output_per_mtok": 2}})
    res = cli("run", str(priced), "--max-cost", "5", cwd=tmp_path / "priced")
    assert res.returncode == 0 and "warning" not in res.stderr, res.stderr


def test_unreadable_verdicts_fail_the_run(tmp_path: Path) -> None:
    def responder(body: dict[str, object]) -> str:
        from judgebench.testing.openai_server import default_responder

        return "I cannot decide." if body.get("response_format") else default_responder(body)

    with FakeOpenAIServer(responder=responder) as srv:
        suite = write_suite(tmp_path, srv.base_url, n_prompts=3)
        res = cli("run", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        judged = cli("judge", str(suite), "--out", str(tmp_path / "lb"), cwd=tmp_path)
    _refused(res, 1, "gate.max_parse_failures", "100%")
    _refused(judged, 1, "gate.max_parse_failures")
    assert (tmp_path / "lb" / "rel" / "leaderboard.json").exists(), "the report is still written"


# -- --out and the store -------------------------------------------------------------------------

OUTS: dict[str, Callable[[Path], Path]] = {
    "under-a-file": lambda d: ((d / "afile").write_text("x"), d / "afile" / "lb")[1],
    "a-file": lambda d: ((d / "afile2").write_text("x"), d / "afile2")[1],
    "dangling-symlink": lambda d: ((d / "dangling").symlink_to(d / "nowhere" / "lb"), d / "dangling")[1],
    "unwritable": lambda d: Path("/proc/judgebench-leaderboards"),
}


@pytest.mark.parametrize("case", sorted(OUTS))
def test_an_out_folder_that_cannot_be_written_is_refused_before_any_stage(tmp_path: Path, live: FakeOpenAIServer,
                                                                        case: str) -> None:
    suite = write_suite(tmp_path, live.base_url, n_prompts=2)
    res = cli("run", str(suite), "--out", str(OUTS[case](tmp_path)), cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "--out" in res.stderr, res.stderr
    assert live.counters.requests == 0 and not (tmp_path / ".judgebench").exists()


def test_a_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path: Path, live: FakeOpenAIServer) -> None:
    foreign = tmp_path / "app.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
        db.execute("INSERT INTO users (email) VALUES ('a@example.com')")
    db.close()
    before = hashlib.sha256(foreign.read_bytes()).hexdigest()
    suite = write_suite(tmp_path, live.base_url, n_prompts=2)
    res = cli("run", str(suite), "--store", str(foreign), cwd=tmp_path)
    _refused(res, 2, "not a judgebench store", "users")
    assert hashlib.sha256(foreign.read_bytes()).hexdigest() == before
    assert not (tmp_path / "app.db-wal").exists(), "not even switched to WAL"
    assert live.counters.requests == 0


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_store_exits_3_without_a_traceback(tmp_path: Path, live: FakeOpenAIServer, damage: str) -> None:
    suite = write_suite(tmp_path, live.base_url, n_prompts=8)
    store = tmp_path / "s.sqlite"
    assert cli("run", str(suite), "--store", str(store), cwd=tmp_path).returncode == 0
    for side in ("-wal", "-shm"):
        Path(str(store) + side).unlink(missing_ok=True)
    data = store.read_bytes()
    store.write_bytes(os.urandom(len(data)) if damage == "garbage" else data[: len(data) // 2])
    for command in ("run", "report"):
        res = cli(command, str(suite), "--store", str(store), "--out", str(tmp_path / "lb"), cwd=tmp_path)
        assert res.returncode in (2, 3), res.stdout + res.stderr
        assert "Traceback" not in res.stderr and res.stderr.startswith("error: "), res.stderr
        assert str(store) in res.stderr


# -- non-UTF-8 files named on the command line ----------------------------------------------------

def test_non_utf8_import_and_pairs_files_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "annotations.json"
    bad.write_bytes(b'[{"instruction": "caf\xe9"}]')
    res = cli("import", "alpaca-eval", str(bad), "--suite", "imp", "--store", str(tmp_path / "s.sqlite"), cwd=tmp_path)
    _refused(res, 2, "annotations.json", "UTF-8")
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_bytes(b'{"id": "1", "prompt": "caf\xe9"}\n')
    res = cli("validate-judge", str(pairs), "--verdicts", str(pairs), cwd=tmp_path)
    _refused(res, 2, "pairs.jsonl", "UTF-8")
