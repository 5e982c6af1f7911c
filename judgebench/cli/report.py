"""`judgebench report|compare|publish`: read stored results; nothing is requested."""

from __future__ import annotations

import os
from pathlib import Path

import click

from judgebench.cli.app import EXIT_CODES_HELP, boundary, leaderboards_dir, main, prepared_for_report
from judgebench.errors import ConfigError


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
@click.option("--rounds", type=click.IntRange(min=100), default=2000, show_default=True)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True)
@boundary
def compare(suite: str, a: str, b: str, reference: str | None, store: str | None, rounds: int, alpha: float) -> None:
    """Paired comparison of models A and B judged against the same reference on the same prompts."""
    from judgebench.aggregate import paired_comparison
    from judgebench.report import frames
    from judgebench.store import Store

    prepared, store_path = prepared_for_report(suite, store)
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
