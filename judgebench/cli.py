"""Command line: parse flags, build the config once, call the library, map errors to exit codes.

This is the package's one error boundary. Exit codes:

\b
  0  success (gate: passed)
  1  the run failed: requests ended as errors (gate: a regression or a limit)
  2  bad usage or configuration (suite file, flags, template, missing dependency)
  3  the run could not complete (endpoint down, vLLM server failed, store unwritable, budget reached)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from judgebench import __version__
from judgebench.errors import ConfigError, JudgebenchError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SUITE = Path("suites") / "demo.yaml"
EXIT_CODES_HELP = """
Exit codes: 0 success (gate: passed) · 1 the run failed / the gate failed · 2 bad usage or
configuration · 3 the run could not complete (endpoint down, server failed, store unwritable,
budget reached).
"""


class Ctx:
    def __init__(self, debug: bool) -> None:
        self.debug = debug


def boundary(fn: F) -> F:
    """Turn JudgebenchError into one paragraph + exit code (a traceback only with --debug)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_object(Ctx) and ctx.find_object(Ctx).debug)  # type: ignore[union-attr]
        try:
            return fn(*args, **kwargs)
        except JudgebenchError as e:
            if debug:
                raise
            _err(f"error: {e.render()}")
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            _err("Interrupted. Everything received so far is stored; rerun to continue.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _err(text: str) -> None:
    click.echo(text, err=True)


def _suite_path(suite: str | None) -> Path:
    if suite is None:
        if DEFAULT_SUITE.exists():
            return DEFAULT_SUITE
        repo_default = Path(__file__).resolve().parent.parent / DEFAULT_SUITE
        return repo_default
    return Path(suite)


def _leaderboards_dir(out: str | None) -> Path:
    return Path(out) if out else Path("leaderboards")


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="judgebench")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """judgebench: which fine-tuned checkpoint is better aligned, by how much, with what certainty."""
    ctx.obj = Ctx(debug)


def _common(fn: F) -> F:
    fn = click.option("--store", type=click.Path(dir_okay=False), help="SQLite store (default: .judgebench/store.sqlite beside the suite).")(fn)
    fn = click.option("--out", type=click.Path(file_okay=False), help="Leaderboards folder (default: ./leaderboards).")(fn)
    fn = click.option("--max-requests", type=click.IntRange(min=0), help="Stop cleanly after this many requests.")(fn)
    fn = click.option("--max-cost", type=click.FloatRange(min=0), help="Stop cleanly before spending more USD than this (prices from the suite).")(fn)
    fn = click.option("--model", "models", multiple=True, help="Only these models (and their references). Repeatable.")(fn)
    return fn


def _run_stages(suite: str | None, stages: tuple[str, ...], store: str | None, out: str | None,
                max_requests: int | None, max_cost: float | None, models: tuple[str, ...]) -> None:
    from judgebench import pipeline
    from judgebench.console import make_progress, print_leaderboard, print_stage_summary

    path = _suite_path(suite)
    prepared = pipeline.prepare(path, os.environ)
    options = pipeline.RunOptions(
        store=Path(store) if store else pipeline.default_store(path),
        leaderboards=_leaderboards_dir(out),
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
@_common
@boundary
def run(suite: str | None, store: str | None, out: str | None, max_requests: int | None, max_cost: float | None,
        models: tuple[str, ...]) -> None:
    """Generate, judge and report SUITE (default: suites/demo.yaml, the embedded CPU demo)."""
    _run_stages(suite, ("generate", "judge", "report"), store, out, max_requests, max_cost, models)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@_common
@boundary
def generate(suite: str | None, store: str | None, out: str | None, max_requests: int | None,
             max_cost: float | None, models: tuple[str, ...]) -> None:
    """Generate the responses SUITE still lacks."""
    _run_stages(suite, ("generate",), store, out, max_requests, max_cost, models)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", required=False, type=click.Path())
@_common
@boundary
def judge(suite: str | None, store: str | None, out: str | None, max_requests: int | None, max_cost: float | None,
          models: tuple[str, ...]) -> None:
    """Judge the stored responses of SUITE that have no verdict yet."""
    _run_stages(suite, ("judge",), store, out, max_requests, max_cost, models)


def _prepared_for_report(suite: str, store: str | None) -> tuple[Any, Path]:
    """A suite file, or the name of a suite saved in the store."""
    from judgebench import pipeline
    from judgebench.store import Store

    path = Path(suite)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        prepared = pipeline.prepare(path, os.environ) if path.exists() else None
        if prepared is None:
            raise ConfigError(f"Suite file {path} does not exist.", "Pass a suite file or a suite name in --store.")
        return prepared, Path(store) if store else pipeline.default_store(path)
    if not store:
        raise ConfigError(f"{suite!r} is neither a suite file nor, without --store, a stored suite.",
                          "Pass a suite YAML file, or --store PATH holding a suite of that name.")
    store_path = Path(store)
    if not store_path.exists():
        raise ConfigError(f"The store {store_path} does not exist.", "Check --store.")
    with Store(store_path) as s:
        return pipeline.from_store(s, suite), store_path


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", type=click.Path())
@click.option("--store", type=click.Path(dir_okay=False), help="The store (default: beside the suite file).")
@click.option("--out", type=click.Path(file_okay=False), help="Leaderboards folder (default: ./leaderboards).")
@boundary
def report(suite: str, store: str | None, out: str | None) -> None:
    """Write the leaderboard of SUITE (a suite file, or a suite name in --store) from stored results."""
    from judgebench import pipeline
    from judgebench.console import print_leaderboard

    prepared, store_path = _prepared_for_report(suite, store)
    if not store_path.exists():
        raise ConfigError(f"The store {store_path} does not exist yet.", f"Run `judgebench run {suite}` first.")
    options = pipeline.RunOptions(store=store_path, leaderboards=_leaderboards_dir(out), env=dict(os.environ))
    result = pipeline.run(prepared, options, ("report",))
    assert result.leaderboard is not None
    print_leaderboard(result.leaderboard, result.out_dir)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", type=click.Path())
@click.argument("a")
@click.argument("b")
@click.option("--reference", help="Reference both were compared with (default: the suite's first).")
@click.option("--store", type=click.Path(dir_okay=False))
@click.option("--rounds", type=click.IntRange(min=100), default=2000, show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True)
@boundary
def compare(suite: str, a: str, b: str, reference: str | None, store: str | None, rounds: int, alpha: float) -> None:
    """Paired comparison of models A and B judged against the same reference on the same prompts."""
    from judgebench.aggregate import paired_comparison
    from judgebench.report import frames
    from judgebench.store import Store

    prepared, store_path = _prepared_for_report(suite, store)
    names = [m.name for m in prepared.suite.models]
    for n in (a, b):
        if n not in names:
            raise ConfigError(f"Model {n!r} is not in suite {prepared.suite.name!r}.", f"Models: {', '.join(names)}.")
    ref = reference or prepared.suite.references[0]
    with Store(store_path) as s:
        judgments, _ = frames(prepared.suite, prepared.prompts, prepared.rubric, s)
    res = paired_comparison(judgments, a, b, ref, rounds=rounds, seed=prepared.suite.stats.seed, alpha=alpha)
    d = res.to_dict()
    click.echo(
        f"{a} vs {b} (reference {ref}, {d['n']} prompts): {d['diff']:+.1f} points, "
        f"{100 * (1 - alpha):.0f}% CI {d['ci_low']:+.1f} to {d['ci_high']:+.1f}, sign test p = {d['p_value']:.3g} "
        f"— {d['verdict']}"
    )


@main.group("import")
def import_group() -> None:
    """Import judgments made elsewhere into the store."""


@import_group.command("alpaca-eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--suite", "suite_name", required=True, help="Name of the suite to create in the store.")
@click.option("--store", type=click.Path(dir_okay=False), default=".judgebench/store.sqlite", show_default=True)
@boundary
def import_alpaca_eval(files: tuple[str, ...], suite_name: str, store: str) -> None:
    """Import AlpacaEval annotation files (output_1 = reference, output_2 = model) as suite NAME."""
    from judgebench.importers.store_import import import_alpaca_eval_files

    summary = import_alpaca_eval_files([Path(f) for f in files], suite_name, Path(store))
    click.echo(summary)


@main.command()
@click.argument("suites", nargs=-1)
@click.option("--source", type=click.Path(file_okay=False), default="leaderboards", show_default=True,
              help="Folder where reports were written.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to publish (e.g. for GitHub Pages).")
@boundary
def publish(suites: tuple[str, ...], source: str, out: str) -> None:
    """Copy the static leaderboard site (all suites, or the SUITES named) into OUT."""
    from judgebench.site.render import publish as do_publish

    src = Path(source)
    if not src.is_dir():
        raise ConfigError(f"No leaderboards folder at {src}.", "Run `judgebench report SUITE` first, or pass --source.")
    path = do_publish(src, list(suites) or None, Path(out))
    click.echo(f"Published to {path}")


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

        rep = run_suite_judge(_suite_path(suite), loaded, dict(os.environ))
    click.echo(rep.to_markdown())
    if json_out:
        Path(json_out).write_text(json.dumps(rep.to_dict(), indent=2) + "\n", encoding="utf-8")


def _register_commands() -> None:
    """Commands that live in their own modules register themselves on the group."""
    from judgebench import gate_cli, rubric_cli

    gate_cli.register(main)
    rubric_cli.register(main)


_register_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
