"""Checks the pipeline makes around a run: before it (keys, --out, budgets) and after (parse failures).

Kept apart from :mod:`judgebench.pipeline` so the stage order stays readable there; each check
raises a :class:`~judgebench.errors.JudgebenchError` with a message and a fix, or returns warnings.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from judgebench.errors import ConfigError, RunFailed
from judgebench.paths import UnsafePath, check_output_dir

if TYPE_CHECKING:
    from judgebench.config import ModelSpec
    from judgebench.pipeline import Prepared, RunOptions
    from judgebench.store import Store


def check_key(value: str, variable: str, what: str, path: Path | None) -> None:
    """A key that cannot go into an HTTP header (non-ASCII, spaces, newlines) is refused, unquoted."""
    if not value.isascii() or any(c.isspace() or ord(c) < 33 or ord(c) == 127 for c in value):
        raise ConfigError(
            f"{what} in {path}: the API key in {variable} has non-ASCII, space or control characters "
            "(a key is plain ASCII; the value is not shown).",
            f"Check what {variable} holds (a pasted key often carries a stray character or line break).",
        )


def check_out(path: Path) -> None:
    """Refuse a leaderboards folder that cannot be written, before any stage runs."""
    try:
        check_output_dir(path)
    except UnsafePath as e:
        raise ConfigError(f"Cannot write leaderboards to {path} (--out): {e.problem}.",
                          "Pass --out with a folder you can write to.") from None


def budget_warnings(prepared: Prepared, options: RunOptions) -> list[str]:
    """What to tell the user before a run whose ``--max-cost`` cannot be enforced everywhere."""
    from judgebench.pipeline import selected_models

    if options.max_cost is None:
        return []
    suite = prepared.suite
    names = {m.name for m in selected_models(suite, options.models)}
    unpriced = [f"model {m.name!r}" for m in suite.models
                if m.name in names and m.prices is None and m.provider == "openai"]
    if suite.judge.prices is None and suite.judge.provider == "openai":
        unpriced.append("the judge")
    if not unpriced:
        return []
    return [f"--max-cost cannot be enforced for {', '.join(unpriced)}: the suite gives no `prices:`, so "
            "their requests count as free. Add prices (input_per_mtok, output_per_mtok) or use --max-requests."]


def parse_failures(prepared: Prepared, store: Store, models: Sequence[ModelSpec]) -> tuple[int, int]:
    """(parse failures, verdicts stored) over the planned judgments of ``models``."""
    from judgebench import plan

    failed = total = 0
    planned = plan.judgments(prepared.suite, prepared.prompts, prepared.rubric, [m.name for m in models])
    for chunk in plan.chunks(planned):  # statuses only, a chunk at a time: the texts stay on disk
        for status, _ in store.statuses("judgments", (p.key for p in chunk)).values():
            if status in ("ok", "parse_failure"):
                total += 1
                failed += status == "parse_failure"
    return failed, total


def check_parse_failures(prepared: Prepared, failed: int, total: int) -> None:
    """A judge whose answers cannot be read fails the run (exit 1), even when every request succeeded."""
    limit = prepared.suite.gate.max_parse_failures
    if total and failed / total > limit:
        raise RunFailed(
            f"The judge's answer could not be read as a verdict for {failed} of {total} judgments "
            f"({100 * failed / total:.0f}%), above the suite's limit gate.max_parse_failures = {100 * limit:g}%.",
            f"Check that the rubric asks for the verdict format of protocol {prepared.rubric.protocol.name!r} "
            "(`judgebench rubric check`) and that the judge supports it (judge.structured); rerun to re-ask "
            "(up to judge.max_parse_retries), or raise gate.max_parse_failures.",
        )
