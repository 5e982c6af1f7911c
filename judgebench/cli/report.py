"""`judgebench report|compare|publish`: read stored results; nothing is requested."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from judgebench.cli.app import (
    EXIT_CODES_HELP,
    FiniteFloat,
    boundary,
    leaderboards_dir,
    main,
    prepared_for_report,
)
from judgebench.errors import ConfigError
from judgebench.suggest import unknown_name


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", type=click.Path())
@click.option("--store", type=click.Path(dir_okay=False), help="The store (default: beside the suite file).")
@click.option("--out", type=click.Path(file_okay=False), help="Leaderboards folder (default: ./leaderboards).")
@boundary
def report(suite: str, store: str | None, out: str | None) -> None:
    """Write the leaderboard of SUITE (a suite file, or a suite name in --store) from stored results."""
    from judgebench import pipeline
    from judgebench.console import print_leaderboard

    prepared, store_path = prepared_for_report(suite, store)
    if not store_path.exists():
        raise ConfigError(f"The store {store_path} does not exist yet.", f"Run `judgebench run {suite}` first.")
    options = pipeline.RunOptions(store=store_path, leaderboards=leaderboards_dir(out), env=dict(os.environ))
    result = pipeline.run(prepared, options, ("report",))
    assert result.leaderboard is not None
    print_leaderboard(result.leaderboard, result.out_dir)


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suite", type=click.Path())
@click.argument("a")
@click.argument("b")
@click.option("--reference", help="Reference both were compared with (default: the suite's first).")
@click.option("--store", type=click.Path(dir_okay=False))
@click.option("--rounds", type=click.IntRange(min=100, max=20_000), default=2000, show_default=True)
@click.option("--alpha", type=FiniteFloat(0, 1, min_open=True, max_open=True), default=0.05, show_default=True)
@boundary
def compare(suite: str, a: str, b: str, reference: str | None, store: str | None, rounds: int, alpha: float) -> None:
    """Paired comparison of models A and B judged against the same reference on the same prompts."""
    from judgebench.aggregate import judge_adequacy_of, paired_comparison
    from judgebench.report import frames
    from judgebench.store import Store
    from judgebench.summary import compare_text

    prepared, store_path = prepared_for_report(suite, store)
    ref = _compared_pair(prepared.suite, a, b, reference)
    with Store(store_path) as s:
        judgments, _ = frames(prepared.suite, prepared.prompts, prepared.rubric, s)
    res = paired_comparison(judgments, a, b, ref, rounds=rounds, seed=prepared.suite.stats.seed, alpha=alpha)
    adequacy = judge_adequacy_of(judgments)
    if adequacy.too_weak:
        res = res.inconclusive()
    click.echo(compare_text(res.to_dict(), adequacy.to_dict(), rounds, alpha))


def _compared_pair(suite: Any, a: str, b: str, reference: str | None) -> str:
    """The reference of a valid comparison of A and B, or a ConfigError saying why it is none."""
    names = [m.name for m in suite.models]
    for n in (a, b):
        if n not in names:
            raise unknown_name("model", n, names, suite.name)
    if reference is not None and reference not in suite.references:
        raise unknown_name("reference", reference, suite.references, suite.name)
    ref = reference or suite.references[0]
    if a == b:
        raise ConfigError(f"Both sides of the comparison are {a!r}: a model compared with itself has no difference "
                          "to test.", "Name two different models, e.g. a new checkpoint and the current one.")
    for n in (a, b):
        if n in suite.references:
            raise ConfigError(f"{n!r} is a reference of suite {suite.name!r}: every model is judged against it, so it "
                              "has no win rate of its own to compare.",
                              f"Compare two models under test; every win rate on the page is already against {n!r}.")
    return ref


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("suites", nargs=-1)
@click.option("--source", type=click.Path(file_okay=False), default="leaderboards", show_default=True,
              help="Folder where reports were written.")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Folder to publish (e.g. for GitHub Pages).")
@boundary
def publish(suites: tuple[str, ...], source: str, out: str) -> None:
    """Copy the static leaderboard site (all suites, or the SUITES named) into OUT."""
    from judgebench.guards import check_out
    from judgebench.site.render import publish as do_publish

    src = Path(source)
    if not src.is_dir():
        raise ConfigError(f"No leaderboards folder at {src}.", "Run `judgebench report SUITE` first, or pass --source.")
    check_out(Path(out))
    path = do_publish(src, list(suites) or None, Path(out))
    click.echo(f"Published to {path}")
