"""`judgebench import ...`: judgments made elsewhere, into the store."""

from __future__ import annotations

from pathlib import Path

import click

from judgebench.cli.app import boundary, main


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
