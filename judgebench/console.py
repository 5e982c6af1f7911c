"""Terminal output: rich progress bars and tables on a terminal, plain lines in CI logs."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from judgebench.summary import (
    board_mdd_line,
    comparison_line,
    completeness_line,
    credential_lines,
    judge_status_line,
    rank_text,
    significance_line,
)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """stdout's reader went away: rich would exit 1; let the CLI boundary end it quietly (141)."""
        self.quiet = True
        raise BrokenPipeError


console = _Console(highlight=False, width=None if sys.stdout.isatty() else 160)


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


# (header, priority): columns are dropped lowest priority first until the table fits the terminal.
_COLUMNS = (("Model", 0), ("vs", 3), ("Rank", 1), ("Win rate", 2), ("95% CI", 4), ("LC", 7), ("W/T/L", 8),
            ("Parse fail", 6), ("Errors", 5), ("Pos. cons.", 9), ("Avg len", 10))


def _cells(r: dict[str, Any], board: dict[str, Any]) -> dict[str, str]:
    ci = (f"{_f(r.get('win_rate_ci_low'))}–{_f(r.get('win_rate_ci_high'))}"
          if r.get("win_rate_ci_low") is not None else "–")
    return {
        "Model": str(r.get("model")), "vs": str(r.get("reference")), "Rank": rank_text(r, board),
        "Win rate": _f(r.get("win_rate")), "95% CI": ci, "LC": _f(r.get("lc_win_rate")),
        "W/T/L": f"{r.get('n_wins', 0)}/{r.get('n_draws', 0)}/{r.get('n_wins_base', 0)}",
        "Parse fail": str(r.get("n_parse_failures", 0)), "Errors": str(r.get("n_errors", 0)),
        "Pos. cons.": _f(r.get("position_consistency"), 2), "Avg len": _f(r.get("avg_length")),
    }


def _title(board: dict[str, Any]) -> str:
    title = f"{board.get('suite')} — judged by {board.get('manifest', {}).get('judge', {}).get('model')}"
    if not (board.get("completeness") or {}).get("complete", True):
        title += " (INCOMPLETE)"
    return title


def _table(board: dict[str, Any], rows: list[dict[str, str]], headers: list[str]) -> Table:
    table = Table(title=_title(board))
    longest = max((len(r["Model"]) for r in rows), default=5)
    for col in headers:
        if col == "Model":  # never truncated, never wrapped
            table.add_column(col, no_wrap=True, min_width=max(longest, 5))
        else:
            table.add_column(col, justify="left" if col == "vs" else "right", no_wrap=True)
    for r in rows:
        table.add_row(*(r[c] for c in headers))
    return table


def leaderboard_table(board: dict[str, Any], width: int | None = None) -> RenderableType:
    """The leaderboard for a terminal ``width`` columns wide (default: the console's).

    Model names are never cut: secondary columns are dropped, least important first, until the
    table fits; when even name, rank and win rate do not fit, each model becomes a stacked block
    (its name on a line of its own, its numbers below). Hidden columns are named under the table.
    """
    width = width or console.width
    raw = sorted(board.get("rows", []), key=lambda r: -(r.get("win_rate") or -1))
    rows = [_cells(r, board) for r in raw]
    multi_ref = len({r.get("reference") for r in raw}) > 1
    headers = [c for c, _ in _COLUMNS if c != "vs" or multi_ref]
    by_priority = sorted(headers, key=lambda c: -dict(_COLUMNS)[c])
    measure = Console(width=10_000, file=io.StringIO())  # unbounded: the table's natural width
    while True:
        table = _table(board, rows, headers)
        fits = Measurement.get(measure, measure.options, table).maximum <= width
        if fits or len(headers) <= 3:
            break
        headers.remove(by_priority.pop(0))
    hidden = [c for c, _ in _COLUMNS if c not in headers and (c != "vs" or multi_ref)]
    if fits:
        note = f"(hidden at {width} columns: {', '.join(hidden)}; see leaderboard.md)" if hidden else ""
        return Group(table, Text(note, style="dim")) if note else table
    blocks: list[RenderableType] = [Text(_title(board), style="bold")]
    for r in rows:
        blocks.append(Text(r["Model"], style="bold", overflow="fold"))
        blocks.append(Text("  " + " · ".join(f"{c} {r[c]}" for c, _ in _COLUMNS if c != "Model" and (c != "vs" or multi_ref)),
                           overflow="fold"))
    return Group(*blocks)


def print_leaderboard(board: dict[str, Any], out_dir: Path | None) -> None:
    incomplete = completeness_line(board)
    if incomplete:
        console.print(incomplete, style="bold red")
    weak = judge_status_line(board)
    if weak:
        console.print(weak, style="bold yellow")
    console.print(leaderboard_table(board))
    rel = board.get("reliability") or {}
    if rel:
        console.print(f"judge reliability: parse-failure rate {_f(rel.get('parse_failure_rate'), 3)}, "
                      f"position consistency {_f(rel.get('position_consistency'), 2)}, tie rate {_f(rel.get('tie_rate'), 2)}")
    for line in credential_lines(board):
        console.print(f"judge credentials: {line}")
    rounds = (board.get("significance") or {}).get("rounds")
    for p in board.get("paired") or []:
        console.print(comparison_line(p, rounds))
    for line in (significance_line(board), board_mdd_line(board)):
        if line:
            console.print(line, style="dim")
    if out_dir is not None:
        console.print(f"Leaderboard written to {out_dir}/ (leaderboard.json, .csv, .md, index.html)")
