"""`judgebench merge`: the stores of several machines (shards) as one."""

from __future__ import annotations

from pathlib import Path

import click

from judgebench.cli.app import EXIT_CODES_HELP, boundary, main


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("stores", nargs=-1, required=True, type=click.Path())
@click.option("--into", required=True, type=click.Path(), help="The merged store (created, or added to if it exists).")
@click.option("--keep-first", is_flag=True,
              help="Where two stores hold different results for one key, keep the first store's (default: refuse).")
@boundary
def merge(stores: tuple[str, ...], into: str, keep_first: bool) -> None:
    """Union STORES into --into by content key; conflicting results are refused (exit 2), inputs never change."""
    from judgebench.merge import merge_stores

    summary = merge_stores([Path(s) for s in stores], Path(into), keep_first=keep_first)
    click.echo(summary.render())
