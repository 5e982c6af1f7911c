"""Terminal output: rich progress bars and tables on a terminal, plain lines in CI logs."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


class PlainProgress:
    """Progress as log lines (every 10% or 10 s), for CI and pipes."""

    def __init__(self) -> None:
        self._stage = ""
        self._total = 0
        self._done = 0
        self._last_pct = -1
        self._last_time = 0.0

    def start(self, stage: str, total: int) -> None:
        self._stage, self._total, self._done, self._last_pct = stage, total, 0, -1
        self._last_time = time.monotonic()
        print(f"{stage}: {total} request job(s)", flush=True)

    def advance(self, n: int = 1) -> None:
        self._done += n
        pct = int(100 * self._done / max(self._total, 1))
        now = time.monotonic()
        if pct // 10 != self._last_pct // 10 or now - self._last_time > 10:
            self._last_pct, self._last_time = pct, now
            print(f"{self._stage}: {self._done}/{self._total} ({pct}%)", flush=True)

    def finish(self) -> None:
        pass

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class RichProgress:
    """A rich progress bar per stage."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, transient=False)
        self._task: Any = None

    def start(self, stage: str, total: int) -> None:
        self._task = self._progress.add_task(stage, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def finish(self) -> None:
        self._task = None

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.__exit__(t, e, tb)


def make_progress() -> PlainProgress | RichProgress:
    return RichProgress() if sys.stdout.isatty() else PlainProgress()


def print_stage_summary(result: Any) -> None:
    for s in result.stages:
        sent = s.stats.requests_sent if s.stats else 0
        errors = s.stats.errors if s.stats else 0
        extra = f", {s.blocked} waiting for responses" if getattr(s, "blocked", 0) else ""
        console.print(f"{s.stage}: {s.planned} planned, {s.requested} to do, {sent} request(s) sent, "
                      f"{errors} error(s){extra}")


def _f(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def leaderboard_table(board: dict[str, Any]) -> Table:
    table = Table(title=f"{board.get('suite')} — judged by {board.get('manifest', {}).get('judge', {}).get('model')}")
    for col in ("Model", "vs", "Win rate", "95% CI", "LC", "W/T/L", "Parse fail", "Errors", "Pos. cons.", "Avg len"):
        table.add_column(col, justify="left" if col in ("Model", "vs") else "right")
    rows = sorted(board.get("rows", []), key=lambda r: -(r.get("win_rate") or -1))
    for r in rows:
        ci = (f"{_f(r.get('win_rate_ci_low'))}–{_f(r.get('win_rate_ci_high'))}"
              if r.get("win_rate_ci_low") is not None else "–")
        table.add_row(
            str(r.get("model")), str(r.get("reference")), _f(r.get("win_rate")), ci, _f(r.get("lc_win_rate")),
            f"{r.get('n_wins', 0)}/{r.get('n_draws', 0)}/{r.get('n_wins_base', 0)}",
            str(r.get("n_parse_failures", 0)), str(r.get("n_errors", 0)),
            _f(r.get("position_consistency"), 2), str(r.get("avg_length", "–")),
        )
    return table


def print_leaderboard(board: dict[str, Any], out_dir: Path | None) -> None:
    console.print(leaderboard_table(board))
    rel = board.get("reliability") or {}
    if rel:
        console.print(f"judge reliability: parse-failure rate {_f(rel.get('parse_failure_rate'), 3)}, "
                      f"position consistency {_f(rel.get('position_consistency'), 2)}, tie rate {_f(rel.get('tie_rate'), 2)}")
    for p in board.get("paired") or []:
        console.print(f"{p['a']} vs {p['b']}: {p['diff']:+.1f} points, 95% CI {p['ci_low']:+.1f} to "
                      f"{p['ci_high']:+.1f} — {p['verdict']}")
    if out_dir is not None:
        console.print(f"Leaderboard written to {out_dir}/ (leaderboard.json, .csv, .md, index.html)")
