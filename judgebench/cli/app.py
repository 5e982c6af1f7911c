"""The click group, the one error boundary and the helpers the commands share.

The CLI parses flags, builds the config once, calls the library and maps errors to exit codes.
This is the package's one error boundary. Exit codes:

\b
  0  success (gate: passed)
  1  the run failed: requests ended as errors (gate: a regression or a limit)
  2  bad usage or configuration (suite file, flags, template, missing dependency)
  3  the run could not complete (endpoint down, vLLM server failed, store unwritable, budget reached)
130  interrupted (Ctrl-C); 143 terminated (SIGTERM, e.g. a CI job cancelled); 141 stdout closed early
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from judgebench import __version__, interrupt
from judgebench.errors import ConfigError, JudgebenchError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SUITE = Path("suites") / "demo.yaml"
EXIT_CODES_HELP = """
Exit codes: 0 success (gate: passed) · 1 the run failed / the gate failed · 2 bad usage or
configuration · 3 the run could not complete (endpoint down, server failed, store unwritable,
budget reached) · 130 interrupted · 143 terminated (SIGTERM) · 141 stdout closed early.
"""


_TERMINATED = threading.Event()


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM (a cancelled CI job) stops a run as Ctrl-C does: inside a run it cancels the run's
    task (``interrupt.request_stop``, which does not depend on SIGINT's disposition: a background
    job in a CI script inherits SIGINT ignored); outside one it is handed to the SIGINT handler.
    The boundary then exits 143, as a process killed by SIGTERM would. Jobs in flight are
    dropped; what is stored stays."""
    _TERMINATED.set()
    if interrupt.request_stop():
        return
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def _quiet_closed_stdout() -> None:
    """stdout's reader went away (``judgebench report | head``): point stdout at /dev/null so the
    interpreter's final flush cannot print "Exception ignored ... BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


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
            if _TERMINATED.is_set():
                _err("Terminated (SIGTERM). Everything received so far is stored; rerun to continue.")
                sys.exit(143)
            _err("Interrupted. Everything received so far is stored; rerun to continue.")
            sys.exit(130)
        except BrokenPipeError:
            _quiet_closed_stdout()
            sys.exit(141)  # 128 + SIGPIPE: quiet, but a pipeline with pipefail still sees it
        except (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
            raise  # click's own ways to end a command (ctx.exit, usage errors)
        except Exception as e:  # noqa: BLE001 -- a bug of ours: still one paragraph, never a traceback
            if debug:
                raise
            text = str(e).encode("utf-8", "replace").decode("utf-8")[:300]
            _err(f"error: internal error ({type(e).__name__}: {text}).\n"
                 "This is a bug in judgebench; everything received is stored. Rerun with --debug for the "
                 "traceback and report it.")
            sys.exit(3)

    return wrapper  # type: ignore[return-value]


class FiniteFloat(click.FloatRange):
    """A FloatRange that refuses nan and inf (``--max-cost nan`` compares false to every bound, so
    click would accept it, and it would silently disable the budget)."""

    name = "finite float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)


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
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
            signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)


def add_exit_code_footers(command: click.Command) -> None:
    """Give every command and group under ``command`` the exit-code footer, unless it has its own
    (gate's names its own meanings): one walk, so a new command cannot be registered without it."""
    if not command.epilog:
        command.epilog = EXIT_CODES_HELP
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_exit_code_footers(sub)


def common_options(fn: F) -> F:
    fn = click.option("--store", type=click.Path(dir_okay=False), help="SQLite store (default: .judgebench/store.sqlite beside the suite).")(fn)
    fn = click.option("--out", type=click.Path(file_okay=False), help="Leaderboards folder (default: ./leaderboards).")(fn)
    fn = click.option("--max-requests", type=click.IntRange(min=0, max=10**12), help="Stop cleanly after this many requests.")(fn)
    fn = click.option("--max-cost", type=FiniteFloat(min=0), help="Stop cleanly before spending more USD than this (prices from the suite).")(fn)
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
