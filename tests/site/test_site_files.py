"""write_site and publish: what lands on disk, and how bad input is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judgebench.errors import ConfigError
from judgebench.site import publish, write_site


def _lb(suite: str, best: str, win: float) -> dict[str, Any]:
    return {"suite": suite, "rows": [{"model": best, "reference": "ref", "win_rate": win}]}


def test_write_site_writes_page_and_index_of_every_suite(
    tmp_path: Path, leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    for name, text in (
        ("older", json.dumps(_lb("older", "m-old", 42.0))),
        ("broken", "{not json"),
        ("no-page", "{}"),
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "leaderboard.json").write_text(text)
        if name != "no-page":
            (tmp_path / name / "index.html").write_text("<!doctype html>")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "leaderboard.json").write_text(json.dumps(_lb("demo", "stale-model", 1.0)))

    page = write_site(tmp_path, "demo", leaderboard, explorer)

    assert page == tmp_path / "demo" / "index.html"
    assert 'id="jb-explorer"' in page.read_text()
    index = (tmp_path / "index.html").read_text()
    for href in ("demo/index.html", "older/index.html", "broken/index.html"):
        assert f'href="{href}"' in index
    assert "no-page" not in index  # a leaderboard.json without a page would be a dead link
    assert "m-old" in index and "42.0" in index
    assert "sft-oasst-9k" in index and "stale-model" not in index  # this run's numbers, not the file's
    assert not list(tmp_path.rglob("*.tmp"))


def test_write_site_refuses_a_suite_name_that_is_a_path(tmp_path: Path, leaderboard: dict[str, Any]) -> None:
    for bad in ("../escape", "a/b", ".hidden", ""):
        with pytest.raises(ConfigError):
            write_site(tmp_path, bad, leaderboard, {})
    assert not any(tmp_path.parent.glob("escape"))


def test_publish_copies_chosen_suites_index_and_nojekyll(tmp_path: Path, leaderboard: dict[str, Any]) -> None:
    src = tmp_path / "leaderboards"
    for name in ("a", "b"):
        write_site(src, name, {**_lb(name, f"best-{name}", 60.0)}, {})
        (src / name / "leaderboard.json").write_text(json.dumps(_lb(name, f"best-{name}", 60.0)))
        (src / name / "leaderboard.csv").write_text("model\n")
        (src / name / "store.sqlite").write_text("not for publishing")

    out = publish(src, ["b"], tmp_path / "pages")

    assert (out / ".nojekyll").is_file()
    assert sorted(p.name for p in (out / "b").iterdir()) == [
        "index.html",
        "leaderboard.csv",
        "leaderboard.json",
    ]
    assert not (out / "a").exists()
    index = (out / "index.html").read_text()
    assert 'href="b/index.html"' in index and 'href="a/index.html"' not in index

    everything = publish(src, None, tmp_path / "all")
    assert 'href="a/index.html"' in (everything / "index.html").read_text()


def test_publish_names_missing_suites_and_what_exists(tmp_path: Path) -> None:
    write_site(tmp_path / "lb", "present", {"suite": "present"}, {})
    with pytest.raises(ConfigError) as err:
        publish(tmp_path / "lb", ["absent"], tmp_path / "out")
    assert "absent" in err.value.message and err.value.hint is not None and "present" in err.value.hint


def test_publish_refuses_to_write_over_its_source(tmp_path: Path) -> None:
    write_site(tmp_path, "s", {"suite": "s"}, {})
    with pytest.raises(ConfigError):
        publish(tmp_path, None, tmp_path)


def test_the_chart_is_written_as_a_standalone_svg_a_readme_can_embed(
    tmp_path: Path, leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    import xml.etree.ElementTree as ET

    write_site(tmp_path, "demo", leaderboard, explorer)
    chart = tmp_path / "demo" / "curated_vs_large.svg"
    root = ET.fromstring(chart.read_text(encoding="utf-8"))  # a well-formed SVG document on its own
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert root.find(f"{ns}style") is not None  # styled without the page's stylesheet
    plotted = {g.get("data-model") for g in root.iter(f"{ns}g") if g.get("class") == "pt"}
    expected = {p["model"] for p in leaderboard["curated_vs_large"]["points"] if p.get("examples")}
    assert plotted and plotted <= expected

    write_site(tmp_path, "demo", {**leaderboard, "curated_vs_large": {"points": []}}, explorer)
    assert not chart.exists()  # no stale chart beside a page that no longer has one
