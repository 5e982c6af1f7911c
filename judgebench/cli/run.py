"""`judgebench run|generate|judge`: the pipeline's stages from the command line."""

from __future__ import annotations

import os
from pathlib import Path

import click

from judgebench.cli.app import EXIT_CODES_HELP, boundary, common_options, leaderboards_dir, main, suite_path


def _run_stages(suite: str | None, stages: tuple[str, ...], store: str | None, out: str | None,
                max_requests: int | None, max_cost: float | None, models: tuple[str, ...]) -> None:
    from judgebench import pipeline
    from judgebench.console import make_progress, print_leaderboard, print_stage_summary

    path = suite_path(suite)
    prepared = pipeline.prepare(path, os.environ)
    options = pipeline.RunOptions(
        store=Path(store) if store else pipeline.default_store(path),
        leaderboards=leaderboards_dir(out),
        env=dict(os.environ),
        max_requests=max_requests,
        max_cost=max_cost,
        models=models or None,
    )
    with make_progress() as progress:
        result = pipeline.run(prepared, options, stages, progress)
    print_stage_summary(result)
    if result.leaderboard is not None:
        print_leaderboard(result.leaderboard, result.out_dir)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@common_options
@boundary
def run(suite: str | None, store: str | None, out: str | None, max_requests: int | None, max_cost: float | None,
        models: tuple[str, ...]) -> None:
    """Generate, judge and report SUITE (default: suites/demo.yaml, the embedded CPU demo)."""
    _run_stages(suite, ("generate", "judge", "report"), store, out, max_requests, max_cost, models)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@common_options
@boundary
def generate(suite: str | None, store: str | None, out: str | None, max_requests: int | None,
             max_cost: float | None, models: tuple[str, ...]) -> None:
    """Generate the responses SUITE still lacks."""
    _run_stages(suite, ("generate",), store, out, max_requests, max_cost, models)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@common_options
@boundary
def judge(suite: str | None, store: str | None, out: str | None, max_requests: int | None, max_cost: float | None,
          models: tuple[str, ...]) -> None:
    """Judge the stored responses of SUITE that have no verdict yet."""
    _run_stages(suite, ("judge",), store, out, max_requests, max_cost, models)
