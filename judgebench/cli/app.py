"""The click group, the one error boundary and the helpers the commands share.

The CLI parses flags, builds the config once, calls the library and maps errors to exit codes.
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


def suite_path(suite: str | None) -> Path:
    if suite is None:
        if DEFAULT_SUITE.exists():
            return DEFAULT_SUITE
        repo_default = Path(__file__).resolve().parents[2] / DEFAULT_SUITE
        return repo_default
    return Path(suite)


def leaderboards_dir(out: str | None) -> Path:
    return Path(out) if out else Path("leaderboards")


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="judgebench")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """judgebench: which fine-tuned checkpoint is better aligned, by how much, with what certainty."""
    ctx.obj = Ctx(debug)


def common_options(fn: F) -> F:
    fn = click.option("--store", type=click.Path(dir_okay=False), help="SQLite store (default: .judgebench/store.sqlite beside the suite).")(fn)
    fn = click.option("--out", type=click.Path(file_okay=False), help="Leaderboards folder (default: ./leaderboards).")(fn)
    fn = click.option("--max-requests", type=click.IntRange(min=0), help="Stop cleanly after this many requests.")(fn)
    fn = click.option("--max-cost", type=click.FloatRange(min=0), help="Stop cleanly before spending more USD than this (prices from the suite).")(fn)
    fn = click.option("--model", "models", multiple=True, help="Only these models (and their references). Repeatable.")(fn)
    return fn


def prepared_for_report(suite: str, store: str | None) -> tuple[Any, Path]:
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
