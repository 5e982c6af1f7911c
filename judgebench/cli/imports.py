"""`judgebench import ...`: judgments made elsewhere, into the store."""

from __future__ import annotations

import os
from pathlib import Path

import click

from judgebench.cli.app import boundary, leaderboards_dir, main
from judgebench.errors import ConfigError


@main.group("import")
def import_group() -> None:
    """Import judgments made elsewhere into the store."""


@import_group.command("alpaca-eval")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--suite", "suite_name", help="Name of the suite to create in the store (with FILES).")
@click.option("--suite-file", type=click.Path(dir_okay=False),
              help="An import suite (e.g. suites/alpaca-eval-1.yaml) naming the files and each model's training "
                   "facts; the leaderboard is written too.")
@click.option("--data", type=click.Path(file_okay=False),
              help="Data root the suite file's paths are relative to (default: $JUDGEBENCH_DATA, else "
                   "../shared/data beside the repository holding the suite).")
@click.option("--store", type=click.Path(dir_okay=False),
              help="The store (default: .judgebench/store.sqlite; with --suite-file, beside the suite file).")
@click.option("--out", type=click.Path(file_okay=False),
              help="Write the leaderboard here after importing (default with --suite-file: ./leaderboards).")
@boundary
def import_alpaca_eval(files: tuple[str, ...], suite_name: str | None, suite_file: str | None, data: str | None,
                       store: str | None, out: str | None) -> None:
    """Import AlpacaEval annotation files (output_1 = reference, output_2 = model): FILES as suite
    --suite NAME, or the files an import suite names (--suite-file)."""
    from judgebench.importers.store_import import import_alpaca_eval_files, import_annotations

    if suite_file is not None:
        if files or suite_name:
            raise ConfigError("--suite-file names the files and the suite; do not also pass FILES or --suite.",
                              "Use either FILES --suite NAME, or --suite-file PATH.")
        from judgebench.guards import check_out
        from judgebench.importers.suite_file import load_import_suite
        from judgebench.prepared import default_store

        path = Path(suite_file)
        loaded = load_import_suite(path, data, os.environ)
        leaderboards = leaderboards_dir(out)
        check_out(leaderboards)
        store_path = Path(store) if store else default_store(path)
        name = loaded.suite.name
        click.echo(import_annotations(loaded.annotations, loaded.files, name, store_path,
                                      description=loaded.description(), training=loaded.training))
        _report(name, store_path, leaderboards, loaded.suite.explorer_prompts)
        return
    if not files or not suite_name:
        raise ConfigError("Give annotation FILES and --suite NAME, or --suite-file PATH.",
                          "e.g. `judgebench import alpaca-eval annotations.json --suite ae`.")
    store_path = Path(store or ".judgebench/store.sqlite")
    click.echo(import_alpaca_eval_files([Path(f) for f in files], suite_name, store_path))
    if out is not None:
        _report(suite_name, store_path, leaderboards_dir(out))


def _report(name: str, store_path: Path, leaderboards: Path, explorer_prompts: int | None = None) -> None:
    """What `judgebench report NAME --store` writes, with the explorer cut to ``explorer_prompts``."""
    from judgebench import pipeline
    from judgebench.console import print_leaderboard
    from judgebench.guards import check_out
    from judgebench.importers.suite_file import trim_explorer
    from judgebench.judge_validation import judge_credentials
    from judgebench.report import build_report, write_report
    from judgebench.store import Store

    check_out(leaderboards)
    with Store(store_path) as s:
        prepared = pipeline.from_store(s, name)
        board, explorer = build_report(prepared.suite, list(prepared.prompts), prepared.rubric, s,
                                       suite_hash=prepared.suite_hash, prompts_hash=prepared.prompts_hash,
                                       judge_credentials=judge_credentials(prepared, s))
    out_dir = write_report(leaderboards, board, trim_explorer(explorer, explorer_prompts))
    print_leaderboard(board, out_dir)
