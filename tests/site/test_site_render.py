"""The suite page and the index as documents: escaped, self-contained, tolerant of gaps."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from site_samples import MODELS

from judgebench.site import render_index, render_suite_page


class _Collect(HTMLParser):
    """Tags, attributes and script bodies, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


def test_page_has_exactly_two_scripts_and_the_data_round_trips(
    leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    doc = _parse(render_suite_page(leaderboard, explorer))
    assert [a.get("type") for a, _ in doc.scripts] == ["application/json", None]
    data_attrs, data = doc.scripts[0]
    assert data_attrs["id"] == "jb-explorer"
    assert json.loads(data) == explorer


def test_no_payload_becomes_markup(leaderboard: dict[str, Any], explorer: dict[str, Any]) -> None:
    html = render_suite_page(leaderboard, explorer)
    doc = _parse(html)
    tags = [t for t, _ in doc.tags]
    assert not set(tags) & {"img", "iframe", "object", "embed", "textarea", "base", "form"}
    assert tags.count("style") == 1
    assert [a for t, a in doc.tags if t == "link"] == [{"rel": "icon", "href": "data:,"}]
    assert not any(k.startswith("on") for _, attrs in doc.tags for k in attrs)
    assert not any(t == "a" and (a.get("href") or "").lower().startswith("javascript") for t, a in doc.tags)
    assert html.count("<script") == 2 and html.count("</script>") == 2
    assert "&lt;script&gt;window.__pwned=1" in html  # flags table shows it as text


def test_page_itself_references_no_network_resource(leaderboard: dict[str, Any]) -> None:
    """Rendered with data that holds no URL, the page mentions none (but the SVG namespace)."""
    for html in (render_suite_page(leaderboard, {}), render_index([leaderboard])):
        urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html))
        assert urls <= {"http://www.w3.org/2000/svg"}, urls
        assert "url(" not in html and "@import" not in html


def test_hostile_data_adds_no_resource_attribute(
    leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    """Data holding <img src=https://...> stays text: no tag attribute points anywhere."""
    doc = _parse(render_suite_page(leaderboard, explorer))
    for _, attrs in doc.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data", "xlink:href"):
            value = attrs.get(key)
            assert value is None or not re.match(r"^[a-z]+:", value) or value.startswith("data:"), (
                key,
                value,
            )


def test_csp_forbids_network_and_pins_the_script_hash(
    leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> None:
    html = render_suite_page(leaderboard, explorer)
    doc = _parse(html)
    csp = next(
        a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    _, app = doc.scripts[1]
    digest = base64.b64encode(hashlib.sha256(app.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


def test_page_shows_every_model_and_section(leaderboard: dict[str, Any], explorer: dict[str, Any]) -> None:
    html = render_suite_page(leaderboard, explorer)
    for m in MODELS:
        assert f'<tr data-model="{m}">' in html
    for section in ("leaderboard", "data-size", "categories", "reliability", "flags", "explorer", "manifest"):
        assert f'<section id="{section}"' in html
    assert ("sft-lima-1k vs sft-alpaca-52k: +7.2 points, 97.5% CI \u22122.0 to +16.5, bootstrap p = 0.120 "
            "(Holm-adjusted 0.240 over 2 pairs) \u2014 no significant difference (inconclusive)") in html
    assert "judge-&lt;b&gt;bold&lt;/b&gt;" in html
    assert "sha256:c0ffee" in html


def test_minimal_leaderboard_renders(explorer: dict[str, Any]) -> None:
    html = render_suite_page({"suite": "empty"}, {})
    assert "No results yet" in html
    assert 'id="data-size"' not in html and 'id="flags"' not in html


@pytest.mark.parametrize(
    "key", ["rows", "curated_vs_large", "categories", "reliability", "manifest", "flags", "paired"]
)
def test_any_missing_section_is_tolerated(
    leaderboard: dict[str, Any], explorer: dict[str, Any], key: str
) -> None:
    leaderboard.pop(key)
    assert "<html" in render_suite_page(leaderboard, explorer)


def test_nulls_everywhere_are_tolerated(leaderboard: dict[str, Any], explorer: dict[str, Any]) -> None:
    for row in leaderboard["rows"]:
        for k in list(row):
            if k not in ("model", "reference"):
                row[k] = None
    for p in leaderboard["curated_vs_large"]["points"]:
        p.update(win_rate=None, ci_low=None, ci_high=None)
    for c in leaderboard["paired"]:
        c.update(diff=None, ci_low=None, ci_high=None, p_value=None, significant=None)
    leaderboard["reliability"] = dict.fromkeys(leaderboard["reliability"])
    leaderboard["manifest"]["judge"] = None
    html = render_suite_page(leaderboard, explorer)
    assert "not enough paired judgments" in html


def test_index_lists_suites_with_headlines(leaderboard: dict[str, Any]) -> None:
    other = {"suite": "<evil>", "rows": []}
    html = render_index([leaderboard, other])
    assert '<a href="demo/index.html">demo</a>' in html
    assert "%3Cevil%3E/index.html" in html and "&lt;evil&gt;" in html
    assert "sft-oasst-9k" in html and "60.8" in html
    assert "<script" not in html


def test_second_reference_adds_a_reference_column(leaderboard: dict[str, Any]) -> None:
    extra = {**leaderboard["rows"][0], "reference": "other-ref", "win_rate": 12.5}
    leaderboard["rows"].append(extra)
    html = render_suite_page(leaderboard, {})
    assert 'data-key="reference"' in html
    assert html.count(f'<tr data-model="{extra["model"]}">') == 2


def test_public_api_is_locked() -> None:
    import judgebench.site

    assert sorted(judgebench.site.__all__) == ["publish", "render_index", "render_suite_page", "write_site"]


def test_mean_score_column_only_for_graded_runs(leaderboard: dict[str, Any]) -> None:
    assert 'data-key="score"' not in render_suite_page(leaderboard, {})
    leaderboard["rows"][0]["mean_score"] = 7.25
    html = render_suite_page(leaderboard, {})
    assert 'data-key="score"' in html and ">7.25<" in html


def test_judge_parameters_are_shown_as_json_values(leaderboard: dict[str, Any]) -> None:
    leaderboard["manifest"]["judge"]["params"] = {"system_prompt": None, "structured": True, "orders": "both"}
    html = render_suite_page(leaderboard, {})
    assert "orders=both, structured=true, system_prompt=null" in html
