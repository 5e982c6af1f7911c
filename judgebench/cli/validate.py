"""`judgebench validate-judge`: the judge measured against human labels."""

from __future__ import annotations

import os
from pathlib import Path

import click

from judgebench.cli.app import boundary, main, suite_path


@main.command("validate-judge")
@click.argument("pairs", type=click.Path(exists=True))
@click.option("--format", "fmt", default="auto", show_default=True,
              help="Pairs format: auto (read from the content), jsonl, llmbar, pandalm, mt-bench.")
@click.option("--verdicts", type=click.Path(exists=True, dir_okay=False), help="Score verdicts recorded elsewhere instead of calling a judge.")
@click.option("--verdicts-format", default="auto", show_default=True, help="Verdicts format: auto, jsonl, llmbar.")
@click.option("--suite", type=click.Path(exists=True, dir_okay=False), help="Suite whose judge to run (default: suites/demo.yaml).")
@click.option("--scoring", type=click.Choice(["argmax", "debiased-logprob"]),
              help="argmax: each order's verdict; debiased-logprob: both orders' logprob margins, position bias "
                   "cancelled (asks for logprobs). Default: the suite's judge.scoring.")
@click.option("--store", type=click.Path(dir_okay=False),
              help="Store for the verdicts (default: the suite's, beside it). Stored verdicts are never re-requested.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N pairs.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the report as JSON.")
@boundary
def validate_judge(pairs: str, fmt: str, verdicts: str | None, verdicts_format: str, suite: str | None,
                   scoring: str | None, store: str | None, limit: int | None, json_out: str | None) -> None:
    """Measure the judge against human labels: accuracy and kappa with bootstrap intervals, positional agreement.

    The suite's judge (same rubric, protocol and request parameters as its leaderboard) judges every
    pair in both orders; verdicts are stored like any judgment, so a rerun sends nothing.
    """
    import json

    from judgebench import validation

    loaded = validation.load_pairs(Path(pairs), fmt)
    if limit:
        loaded = loaded[:limit]
    if verdicts:
        rep = validation.score_recorded(loaded, validation.load_verdicts(Path(verdicts), verdicts_format))
    else:
        from judgebench.judge_validation import published_accuracies, run_suite_judge

        rep = run_suite_judge(suite_path(suite), loaded, dict(os.environ), store_path=Path(store) if store else None,
                              scoring=scoring, name=Path(pairs).parent.name if Path(pairs).is_file() else Path(pairs).name,
                              published=published_accuracies(Path(pairs), loaded))
    click.echo(rep.to_markdown())
    if json_out:
        Path(json_out).write_text(json.dumps(rep.to_dict(), indent=2) + "\n", encoding="utf-8")
