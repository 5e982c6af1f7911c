"""Helpers shared by the reliability tests: suite files, the real CLI in a subprocess, store reads.

Everything here drives judgebench from the outside (the CLI as a subprocess, a real HTTP server on
127.0.0.1, the SQLite file itself); the library is used only to compute what a suite *plans*.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KEY_ENV = "JB_RELIABILITY_KEY"
"""The variable every test suite names in ``api_key_env``."""
TABLES = ("responses", "judgments")


def prompts(n: int, multi_every: int = 4, prefix: str = "p") -> list[dict[str, Any]]:
    """``n`` prompts; every ``multi_every``-th one has two turns (two requests to generate)."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        if multi_every and i % multi_every == multi_every - 1:
            out.append({"id": f"{prefix}{i}", "turns": [f"Question {i}: name a colour.", "Why that one?"],
                        "category": "chat"})
        else:
            out.append({"id": f"{prefix}{i}", "prompt": f"Question {i}: explain topic number {i} briefly.",
                        "category": ("math", "writing", "coding")[i % 3]})
    return out


def write_suite(
    folder: Path,
    base_url: str,
    *,
    n_prompts: int = 8,
    multi_every: int = 4,
    candidates: Sequence[str] = ("cand-a", "cand-b"),
    concurrency: int = 4,
    judge_concurrency: int | None = None,
    timeout: float = 5.0,
    model_extra: Mapping[str, Any] | None = None,
    judge_extra: Mapping[str, Any] | None = None,
    top_extra: Mapping[str, Any] | None = None,
    name: str = "rel",
    key_env: str | None = KEY_ENV,
    prompt_rows: list[dict[str, Any]] | None = None,
) -> Path:
    """A suite of ``candidates`` + ``ref`` on one endpoint, judged both orders; fast retries."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = prompt_rows if prompt_rows is not None else prompts(n_prompts, multi_every)
    (folder / "prompts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    common: dict[str, Any] = {"provider": "openai", "base_url": base_url, "timeout": timeout, "concurrency": concurrency}
    if key_env:
        common["api_key_env"] = key_env
    models = [common | {"name": n, "model": n} | dict(model_extra or {}) for n in [*candidates, "ref"]]
    suite: dict[str, Any] = {
        "name": name,
        "prompts": "prompts.jsonl",
        "generation": {"max_tokens": 64, "temperature": 0.0},
        "retry": {"attempts": 8, "initial_wait": 0.01, "max_wait": 0.2, "deadline": 60},
        "models": models,
        "reference": "ref",
        "judge": common | {"model": "judge", "concurrency": judge_concurrency or concurrency} | dict(judge_extra or {}),
    } | dict(top_extra or {})
    path = folder / "suite.yaml"
    path.write_text(json.dumps(suite, indent=2) + "\n", encoding="utf-8")  # JSON is YAML
    return path


def env(extra: Mapping[str, str] | None = None, key: str = "sk-reliability-test") -> dict[str, str]:
    """The process environment without OPENAI_* settings, with the test key and no colours."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    out |= {KEY_ENV: key, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    return out | dict(extra or {})


def cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "judgebench", *args]


def cli(*args: str, cwd: Path, extra_env: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI to completion in a subprocess (no time limit: tests never assert on time)."""
    return subprocess.run(cmd(*args), cwd=cwd, env=dict(environ) if environ is not None else env(extra_env),
                          capture_output=True, text=True)


@contextmanager
def connect(store: Path) -> Iterator[sqlite3.Connection]:
    """A connection that is closed afterwards (sqlite3's own context manager only commits)."""
    db = sqlite3.connect(store, timeout=60)
    try:
        yield db
    finally:
        db.close()


def rows(store: Path, table: str) -> dict[str, tuple[Any, ...]]:
    """Every row of ``table`` keyed by its key (all columns, in order)."""
    with connect(store) as db:
        return {r[0]: tuple(r) for r in db.execute(f"SELECT * FROM {table}")}


def count(store: Path, table: str) -> int:
    with connect(store) as db:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def integrity(store: Path) -> str:
    with connect(store) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def request_equivalents(store: Path) -> int:
    """Requests that the rows stored account for: one per turn of each ok response, one per judgment."""
    total = 0
    with connect(store) as db:
        for status, info in db.execute("SELECT status, info FROM responses"):
            if status == "ok":
                total += max(1, len(json.loads(info).get("answers") or []))
        total += int(db.execute("SELECT COUNT(*) FROM judgments WHERE status != 'error'").fetchone()[0])
    return total


@dataclass(frozen=True)
class Plan:
    responses: int
    judgments: int
    requests: int
    """Requests a clean run sends: every turn of every response, plus one per judgment."""


def plan(suite: Path) -> Plan:
    """What the suite plans, computed by the library's own planners (pure functions)."""
    from judgebench import pipeline, plan

    prepared = pipeline.prepare(suite, env())
    planned_r = list(plan.responses(prepared.suite, prepared.prompts))
    planned_j = list(plan.judgments(prepared.suite, prepared.prompts, prepared.rubric))
    turns = {p.id: len(p.turns) for p in prepared.prompts}
    n_req = sum(turns[p.prompt_id] for p in planned_r) + len(planned_j)
    return Plan(len(planned_r), len(planned_j), n_req)


def board(out: Path, suite_name: str = "rel") -> dict[str, Any]:
    """leaderboard.json without its manifest (which holds times, hashes and URLs)."""
    data = json.loads((out / suite_name / "leaderboard.json").read_text())
    data.pop("manifest", None)
    return dict(data)


def written_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())
