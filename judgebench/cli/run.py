"""`judgebench run|generate|judge`: the pipeline's stages from the command line."""

from __future__ import annotations

import os
from pathlib import Path

import click

from judgebench.cli.app import (
    EXIT_CODES_HELP,
    F,
    boundary,
    common_options,
    leaderboards_dir,
    main,
    suite_path,
)


def _shard_option(fn: F) -> F:
    return click.option(
        "--shard", metavar="I/N",
        help="Do only shard I of N (prompts split by content hash, 1 <= I <= N); `judgebench merge` the N stores.",
    )(fn)


def _run_stages(suite: str | None, stages: tuple[str, ...], store: str | None, out: str | None,
                max_requests: int | None, max_cost: float | None, models: tuple[str, ...],
                shard: str | None = None) -> None:
    from judgebench import guards, pipeline
    from judgebench.console import make_progress, print_leaderboard, print_stage_summary
    from judgebench.shard import Shard

    parsed = Shard.parse(shard) if shard is not None else None  # before anything is loaded or written
    path = suite_path(suite)
    prepared = pipeline.prepare(path, os.environ)
    store_path = Path(store) if store else pipeline.default_store(path)
    if suite is None:  # say what an argument-less run used, so nobody wonders which store filled up
        click.echo(f"No SUITE given: running {path} (the embedded CPU demo), store {store_path}.", err=True)
    options = pipeline.RunOptions(
        store=store_path,
        leaderboards=leaderboards_dir(out),
        env=dict(os.environ),
        max_requests=max_requests,
        max_cost=max_cost,
        models=models or None,
        shard=parsed,
    )
    for warning in guards.budget_warnings(prepared, options):
        click.echo(f"warning: {warning}", err=True)
    with make_progress() as progress:
        result = pipeline.run(prepared, options, stages, progress)
    print_stage_summary(result)
    if result.leaderboard is not None:
        print_leaderboard(result.leaderboard, result.out_dir)
    if result.parse_failure_rate is not None:  # unreadable verdicts fail the run (gate has its own limit)
        guards.check_parse_failures(prepared, *result.parse_failure_rate)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@common_options
@_shard_option
@boundary
def run(suite: str | None, store: str | None, out: str | None, max_requests: int | None, max_cost: float | None,
        models: tuple[str, ...], shard: str | None) -> None:
    """Generate, judge and report SUITE (default: suites/demo.yaml, the embedded CPU demo).

    A complete suite file (every other key has a default; the README's "An annotated suite file"
    lists them all):

    \b
      name: my-study                     # letters, digits, . _ -
      prompts: prompts.jsonl             # {"id": "p1", "prompt": "..."} per line
      models:
        - name: sft-lima-1k
          provider: vllm                 # judgebench starts and stops the server
          model: ./checkpoints/lima-1k   # a folder, a Hugging Face id, or builtin:...
        - name: base
          provider: openai               # any OpenAI-compatible endpoint
          model: gpt-4o-mini
          base_url: https://api.openai.com/v1
          api_key_env: OPENAI_API_KEY    # the variable's NAME, never the key
      reference: base                    # every other model is judged against it
      judge: {provider: openai, model: gpt-4o, api_key_env: OPENAI_API_KEY, rubric: pairwise}
    """
    _run_stages(suite, ("generate", "judge", "report"), store, out, max_requests, max_cost, models, shard)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@common_options
@_shard_option
@boundary
def generate(suite: str | None, store: str | None, out: str | None, max_requests: int | None,
             max_cost: float | None, models: tuple[str, ...], shard: str | None) -> None:
    """Generate the responses SUITE still lacks."""
    _run_stages(suite, ("generate",), store, out, max_requests, max_cost, models, shard)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@common_options
@_shard_option
@boundary
def judge(suite: str | None, store: str | None, out: str | None, max_requests: int | None, max_cost: float | None,
          models: tuple[str, ...], shard: str | None) -> None:
    """Judge the stored responses of SUITE that have no verdict yet."""
    _run_stages(suite, ("judge",), store, out, max_requests, max_cost, models, shard)
