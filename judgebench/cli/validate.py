"""`judgebench validate-judge`: the judge measured against human labels."""

from __future__ import annotations

import os
from pathlib import Path

import click

from judgebench.cli.app import boundary, main, suite_path


@main.command("validate-judge")
@click.argument("pairs", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", default="jsonl", show_default=True, help="Pairs format: jsonl, llmbar, pandalm, mt-bench.")
@click.option("--verdicts", type=click.Path(exists=True, dir_okay=False), help="Score verdicts recorded elsewhere instead of calling a judge.")
@click.option("--verdicts-format", default=None, help="Verdicts format (default: same as --format).")
@click.option("--suite", type=click.Path(exists=True, dir_okay=False), help="Suite whose judge to run (default: suites/demo.yaml).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N pairs.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Write the report as JSON.")
@boundary
def validate_judge(pairs: str, fmt: str, verdicts: str | None, verdicts_format: str | None, suite: str | None,
                   limit: int | None, json_out: str | None) -> None:
    """Measure the judge against human labels: accuracy, positional agreement, Cohen's kappa."""
    import json

    from judgebench import validation

    loaded = validation.load_pairs(Path(pairs), fmt)
    if limit:
        loaded = loaded[:limit]
    if verdicts:
        rep = validation.score_recorded(loaded, validation.load_verdicts(Path(verdicts), verdicts_format or fmt))
    else:
        from judgebench.judge_validation import run_suite_judge

        rep = run_suite_judge(suite_path(suite), loaded, dict(os.environ))
    click.echo(rep.to_markdown())
    if json_out:
        Path(json_out).write_text(json.dumps(rep.to_dict(), indent=2) + "\n", encoding="utf-8")
