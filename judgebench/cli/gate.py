"""``judgebench gate``: the CLI layer of the CI gate (flags -> settings -> library -> exit code).

Exit codes: 0 passed · 1 the gate failed (a regression or a limit) · 2 bad usage or
configuration (unknown models, candidate == baseline, manifests that differ) · 3 the run could not
complete. When the gate's own run ends with failed requests (RunFailed) it exits 3, not 1: the
pipeline broke, which says nothing about whether the model regressed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from judgebench.cli.app import boundary, main, prepared_for_report

GATE_EXIT_CODES = """
Exit codes: 0 passed · 1 the gate failed (regression, failure rate or floor) · 2 bad usage or
configuration (unknown model, candidate = baseline, results judged under different manifests) ·
3 the run could not complete (endpoint down, server failed, requests failed after retries).
"""


def _run_missing(prepared: Any, store_path: Path, models: tuple[str, str]) -> str:
    """Generate and judge what the store lacks for the two models; RunFailed becomes exit 3."""
    from judgebench import pipeline
    from judgebench.console import make_progress
    from judgebench.errors import RunFailed, RunIncomplete

    options = pipeline.RunOptions(store=store_path, leaderboards=Path("leaderboards"), env=dict(os.environ),
                                  models=models)
    try:
        with make_progress() as progress:
            result = pipeline.run(prepared, options, ("generate", "judge"), progress)
    except RunFailed as e:
        raise RunIncomplete(
            f"The gate's run could not complete: {e.message}",
            "The pipeline broke, not (necessarily) the model: fix the endpoint and rerun the gate; only what "
            "failed is requested again. Use --no-run to gate on what is stored (errors then count against "
            "--max-errors).",
        ) from None
    return f"This run sent {result.requests_sent} request(s) for what was missing."


def _write(path: str | None, text: str, append: bool = False) -> None:
    from judgebench.errors import ConfigError

    if not path:
        return
    try:
        with open(path, "a" if append else "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise ConfigError(f"Cannot write the gate's output to {path}: {e.strerror}.",
                          "Check the path given to --markdown/--junit/--json (or $GITHUB_STEP_SUMMARY).") from None



@main.command(epilog=GATE_EXIT_CODES)
@click.argument("suite", type=click.Path())
@click.option("--candidate", help="The new checkpoint (default: gate.candidate in the suite).")
@click.option("--baseline", help="The checkpoint it must not be worse than (default: gate.baseline).")
@click.option("--reference", help="Reference both are judged against (default: the suite's first).")
@click.option("--margin", type=click.FloatRange(min=0), help="Largest tolerated drop in win rate, in points.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Significance level: the interval is the two-sided (1 − alpha) paired bootstrap.")
@click.option("--max-parse-failures", type=click.FloatRange(0, 1), help="Largest tolerated parse-failure rate (0-1).")
@click.option("--max-errors", type=click.FloatRange(0, 1), help="Largest tolerated error rate (0-1).")
@click.option("--min-win-rate", type=click.FloatRange(0, 100), help="Floor on the candidate's win rate vs the reference, in points.")
@click.option("--rounds", type=click.IntRange(min=100), help="Bootstrap rounds (default: gate.rounds).")
@click.option("--no-run", is_flag=True, help="Gate only on stored results (implied for suites named from --store).")
@click.option("--store", type=click.Path(dir_okay=False), help="The store (default: beside the suite file).")
@click.option("--markdown", type=click.Path(dir_okay=False), help="Write a markdown summary here "
              "(also appended to $GITHUB_STEP_SUMMARY when set).")
@click.option("--junit", type=click.Path(dir_okay=False), help="Write JUnit XML here (one test case per check).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the full result as JSON here.")
@boundary
def gate(suite: str, candidate: str | None, baseline: str | None, reference: str | None, margin: float | None,
         alpha: float | None, max_parse_failures: float | None, max_errors: float | None,
         min_win_rate: float | None, rounds: int | None, no_run: bool, store: str | None,
         markdown: str | None, junit: str | None, json_out: str | None) -> None:
    """Fail when CANDIDATE is worse than BASELINE on SUITE (a suite file, or a suite name in --store).

    Runs what is missing for the two models first (unless --no-run), then compares them on the
    same prompts, judge and reference: it fails when the upper bound of the paired interval on
    candidate − baseline is below −margin, when the candidate's parse-failure or error rate
    exceeds its limit, or when its win rate is below --min-win-rate. No significant
    difference passes.
    """
    from judgebench import gate as gating
    from judgebench.errors import ConfigError
    from judgebench.store import Store

    prepared, store_path = prepared_for_report(suite, store)
    settings = gating.resolve_settings(prepared.suite, {
        "candidate": candidate, "baseline": baseline, "reference": reference, "margin": margin,
        "alpha": alpha, "max_parse_failures": max_parse_failures, "max_errors": max_errors,
        "min_win_rate": min_win_rate, "rounds": rounds,
    })
    ran = None
    if not no_run and prepared.path is not None:
        ran = _run_missing(prepared, store_path, (settings.candidate, settings.baseline))
    elif not store_path.exists():
        raise ConfigError(f"The store {store_path} does not exist.",
                          "Run the gate without --no-run, or pass the --store that holds the results.")
    with Store(store_path) as s:
        result = gating.evaluate(prepared.suite, prepared.prompts, prepared.rubric, prepared.prompts_hash, s,
                                 settings)
    if ran:
        result = gating.with_note(result, ran)
    click.echo(gating.to_text(result))
    md = gating.to_markdown(result)
    _write(markdown, md)
    _write(os.environ.get("GITHUB_STEP_SUMMARY"), md, append=True)
    _write(junit, gating.to_junit(result))
    _write(json_out, gating.to_json(result))
    click.get_current_context().exit(result.exit_code)
