"""Report: read what the store holds for a suite, compute the leaderboard, write it out.

Writes ``<leaderboards>/<suite>/leaderboard.{json,csv,md}`` and the HTML page. Works from a suite
file or from the store alone (suites saved by ``run`` or ``import``), so a report never needs
the endpoints that produced the results.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from judgebench import __version__
from judgebench.canaries import is_canary, response_flags
from judgebench.config import Suite
from judgebench.manifests import judge_parts
from judgebench.plan import judgments as plan_judgments
from judgebench.plan import responses as plan_responses
from judgebench.records import ModelInfo, Prompt, TrainingInfo
from judgebench.rubrics import Rubric
from judgebench.stats.options import StatsOptions
from judgebench.store import Store
from judgebench.summary import markdown_table

CSV_COLUMNS = [
    "model", "reference", "win_rate", "standard_error", "win_rate_ci_low", "win_rate_ci_high",
    "lc_win_rate", "lc_win_rate_ci_low", "lc_win_rate_ci_high", "bt_rating", "bt_ci_low", "bt_ci_high",
    "n_wins", "n_wins_base", "n_draws", "n_total", "discrete_win_rate", "avg_length",
    "n_parse_failures", "n_errors", "n_missing", "position_consistency", "tie_rate",
    "prompt_tokens", "completion_tokens", "mean_score",
    "base_model", "training_dataset", "training_examples", "curated", "is_canary",
]


def model_infos(suite: Suite) -> list[ModelInfo]:
    refs = set(suite.references)
    out = []
    for m in suite.models:
        t = m.training
        out.append(ModelInfo(
            name=m.name,
            is_reference=m.name in refs,
            is_canary=is_canary(m),
            training=TrainingInfo(t.dataset, t.examples, t.curated, t.base_model) if t else None,
        ))
    return out


def frames(suite: Suite, prompts: Sequence[Prompt], rubric: Rubric, store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The judgments and responses frames of docs/CONTRACTS.md, for what the suite plans."""
    planned_r = list(plan_responses(suite, prompts))
    rows_r = store.responses(p.key for p in planned_r)
    resp_records = []
    for p in planned_r:
        rrow = rows_r.get(p.key)
        text = rrow.text if rrow is not None and rrow.status == "ok" else ""
        resp_records.append({
            "model": p.model, "prompt_id": p.prompt_id, "sample": p.sample,
            "status": rrow.status if rrow is not None else "missing", "text": text or "",
            "length": len(text or ""),
            "prompt_tokens": rrow.prompt_tokens if rrow else 0,
            "completion_tokens": rrow.completion_tokens if rrow else 0,
        })
    responses = pd.DataFrame(resp_records, columns=["model", "prompt_id", "sample", "status", "text", "length",
                                                    "prompt_tokens", "completion_tokens"])
    category = {p.id: p.category for p in prompts}
    planned_j = list(plan_judgments(suite, prompts, rubric))
    rows_j = store.judgments(p.key for p in planned_j)
    ok_responses = {p.key for p in planned_r if p.key in rows_r and rows_r[p.key].status == "ok"}
    # Injection is read from the model's own response at report time (judgebench.canaries).
    injected = {key: response_flags(rows_r[key].info.get("answers") or [rows_r[key].text or ""])
                for key in ok_responses}
    judg_records = []
    for pj in planned_j:
        row = rows_j.get(pj.key)
        ok = row is not None and row.status == "ok"
        judg_records.append({
            "model": pj.model, "reference": pj.reference, "prompt_id": pj.prompt_id,
            "category": category.get(pj.prompt_id, ""), "order": pj.order, "sample": pj.sample,
            "status": row.status if row is not None else "missing",
            "preference": row.preference if ok and row is not None and row.preference is not None else math.nan,
            "label": (row.label or "") if row else "",
            "score": row.score if row is not None and row.score is not None else math.nan,
            "reasoning": (row.reasoning or "") if row else "",
            "flags": ",".join(dict.fromkeys([*(row.info.get("flags", []) if row else []),
                                             *injected.get(pj.model_response, [])])),
            "prompt_tokens": row.prompt_tokens if row else 0,
            "completion_tokens": row.completion_tokens if row else 0,
        })
    for r in judg_records:
        r["raw_preference"] = r["preference"]  # each order's own verdict, kept when debiasing replaces it
    if suite.judge.scoring == "debiased-logprob":  # one preference per (AB, BA) pair, position bias removed
        from judgebench.scoring import debias, margin

        debias(judg_records, {i: margin(rows_j[pj.key].info.get("label_logprobs"), rubric.protocol)
                              for i, pj in enumerate(planned_j)
                              if pj.key in rows_j and rows_j[pj.key].status == "ok"})
    judgments = pd.DataFrame(judg_records, columns=["model", "reference", "prompt_id", "category", "order", "sample",
                                                    "status", "preference", "label", "score", "reasoning", "flags",
                                                    "prompt_tokens", "completion_tokens", "raw_preference"])
    return judgments, responses


def manifest(suite: Suite, rubric: Rubric, n_prompts: int, suite_hash: str, prompts_hash: str) -> dict[str, Any]:
    identity, params = judge_parts(suite.judge)
    return {
        "suite": suite.name,
        "description": suite.description,
        "suite_hash": suite_hash,
        "prompts_hash": prompts_hash,
        "n_prompts": n_prompts,
        "judge": {"provider": suite.judge.provider, "model": suite.judge.model,
                  "identity": identity, "params": params},
        "rubric": rubric.name,
        "rubric_hash": rubric.hash,
        "protocol": rubric.protocol.name,
        "judgebench_version": __version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "references": suite.references,
    }


def explorer_data(suite: Suite, prompts: Sequence[Prompt], judgments: pd.DataFrame, responses: pd.DataFrame,
                  board: dict[str, Any]) -> dict[str, Any]:
    """Everything the HTML response explorer shows (docs/CONTRACTS.md)."""
    resp: dict[str, dict[str, str]] = {}
    for r in responses[responses["sample"] == 0].itertuples():
        resp.setdefault(str(r.model), {})[str(r.prompt_id)] = str(r.text) if r.status == "ok" else ""
    judg: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    outcomes: dict[str, dict[str, dict[str, float | None]]] = {}
    for j in judgments.to_dict("records"):
        pref, score = float(j["preference"]), float(j["score"])
        entry = {"order": j["order"], "sample": int(j["sample"]), "label": j["label"], "status": j["status"],
                 "preference": None if math.isnan(pref) else pref, "score": None if math.isnan(score) else score,
                 "reasoning": j["reasoning"]}
        (judg.setdefault(str(j["model"]), {}).setdefault(str(j["reference"]), {})
             .setdefault(str(j["prompt_id"]), []).append(entry))
    ok = judgments[(judgments["status"] == "ok") & judgments["preference"].notna()]
    if not ok.empty:
        means = ok.groupby(["model", "reference", "prompt_id"])["preference"].mean().reset_index()
        for m in means.to_dict("records"):
            outcomes.setdefault(str(m["model"]), {}).setdefault(str(m["reference"]), {})[str(m["prompt_id"])] = float(
                m["preference"])
    return {
        "prompts": [{"id": p.id, "text": p.text, "category": p.category} for p in prompts],
        "models": [m.name for m in suite.models],
        "references": suite.references,
        "responses": resp,
        "judgments": judg,
        "outcomes": outcomes,
    }


def build_report(suite: Suite, prompts: Sequence[Prompt], rubric: Rubric, store: Store, *, suite_hash: str,
                 prompts_hash: str, judge_credentials: list[dict[str, Any]] | None = None,
                 ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The leaderboard and explorer data; ``judge_credentials`` as ``validate-judge`` reports them."""
    from judgebench.aggregate import build_leaderboard

    judgments, responses = frames(suite, prompts, rubric, store)
    info = manifest(suite, rubric, len(prompts), suite_hash, prompts_hash)
    board = build_leaderboard(judgments, responses, model_infos(suite), info, _stats_options(suite),
                              judge_credentials=judge_credentials)
    return board, explorer_data(suite, prompts, judgments, responses, board)


def _stats_options(suite: Suite) -> StatsOptions:
    s = suite.stats
    extra: dict[str, Any] = {}
    if suite.canaries is not None:
        extra["canary_max_win_rate"] = 100.0 * suite.canaries.max_win_share
    return StatsOptions(rounds=s.bootstrap_rounds, seed=s.seed, level=s.level, style_control=s.style_control,
                        max_parse_failure_rate=suite.gate.max_parse_failures, **extra)


def csv_text(board: dict[str, Any]) -> str:
    buf = io.StringIO()
    # CRLF (RFC 4180) makes the writer quote any field holding a CR or LF, so a name cannot split a row.
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in board.get("rows", []):
        writer.writerow({k: csv_cell(row.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV value a spreadsheet shows as text: a cell starting ``= + - @``, tab or CR is a formula
    to Excel, LibreOffice and Sheets (model names are user input), so it gets a leading ``'``
    (OWASP's CSV-injection advice). Numbers are left alone: a negative number is not a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_report(leaderboards: Path, board: dict[str, Any], explorer: dict[str, Any]) -> Path:
    """Write json/csv/md and the HTML page; returns the suite's folder."""
    out = leaderboards / str(board["suite"])
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "leaderboard.json", json.dumps(board, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    _atomic_write(out / "leaderboard.csv", csv_text(board))
    _atomic_write(out / "leaderboard.md", markdown_table(board))
    try:
        from judgebench.site.render import write_site
    except ImportError:  # pragma: no cover - the site package is part of judgebench
        return out
    write_site(leaderboards, str(board["suite"]), board, explorer)
    return out


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
