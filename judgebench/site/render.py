"""Render and write the static leaderboard site.

One self-contained HTML file per suite (inline CSS, JS, SVG and data; no network request, so it
works from ``file://`` and any static host) plus an index of suites. Untrusted text is escaped
twice over: Jinja autoescape on the server side, ``textContent`` only in the browser, and the
embedded JSON cannot close its ``<script>`` element (see :mod:`judgebench.site.embed`). A
Content-Security-Policy forbids every network fetch and only runs the page's own script (by hash),
so even an escaping bug could not load or run anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from judgebench.errors import ConfigError
from judgebench.site import judge_view, svg, view
from judgebench.site.embed import script_json

__all__ = ["render_suite_page", "render_index", "write_site", "publish"]

CHART_FILE = "curated_vs_large.svg"  # the chart alone, for a README to embed
_SUITE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_PUBLISHED_FILES = ("index.html", "leaderboard.json", "leaderboard.csv", "leaderboard.md", CHART_FILE)


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("judgebench", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@cache
def _asset(name: str) -> str:
    return (files("judgebench") / "templates" / name).read_text(encoding="utf-8")


def _csp(script: str | None) -> str:
    """No fetches of any kind; styles inline; only the page's own script, pinned by its hash."""
    if script is None:
        script_src = "'none'"
    else:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        script_src = f"'sha256-{digest}'"
    return (
        f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src {script_src}; "
        "base-uri 'none'; form-action 'none'"
    )


def render_suite_page(leaderboard: dict[str, Any], explorer: dict[str, Any]) -> str:
    """The suite's page as one HTML document (leaderboard.json and explorer.json shapes)."""
    app_js = _asset("site_app.js")
    assert "</script" not in app_js.lower()
    head = view.headline(leaderboard)
    refs = leaderboard.get("references") or (leaderboard.get("manifest") or {}).get("references") or []
    return (
        _env()
        .get_template("site_suite.html.j2")
        .render(
            csp=_csp(app_js),
            css=Markup(_asset("site_style.css")),
            head=head,
            references=[str(r) for r in refs],
            table=view.leaderboard_table(leaderboard),
            paired=view.paired_sentences(leaderboard),
            curated=view.curated_section(leaderboard),
            categories=view.categories(leaderboard),
            reliability=view.reliability(leaderboard),
            alerts=judge_view.alerts(leaderboard),
            credentials=judge_view.credentials(leaderboard),
            significance=judge_view.significance(leaderboard),
            flags=view.flags(leaderboard),
            manifest=view.manifest(leaderboard),
            explorer_json=Markup(script_json(explorer or {})),
            app_js=Markup(app_js),
        )
    )


def render_index(suites: list[dict[str, Any]]) -> str:
    """The list of suites with their headline numbers; each links to ``<suite>/index.html``."""
    entries = []
    for lb in sorted(suites, key=lambda s: str(s.get("suite") or "")):
        entry = view.headline(lb)
        entry["href"] = quote(entry["suite"], safe="") + "/index.html"
        entries.append(entry)
    return (
        _env()
        .get_template("site_index.html.j2")
        .render(csp=_csp(None), css=Markup(_asset("site_style.css")), suites=entries)
    )


def _check_suite_name(suite: str) -> None:
    if not _SUITE_NAME.match(suite):
        raise ConfigError(
            f"Suite name {suite!r} cannot be used as a folder name for the site.",
            hint="Use letters, digits, '.', '_' and '-' only, starting with a letter or digit.",
        )


def _write_atomic(path: Path, text: str) -> None:
    """Readers (a web server, a browser reload) never see half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a static host must be able to read the page
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_leaderboard(path: Path) -> dict[str, Any]:
    """A suite's leaderboard.json; an unreadable one is still listed, by its folder name."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"suite": path.parent.name}
    if not isinstance(data, dict):
        return {"suite": path.parent.name}
    return {**data, "suite": path.parent.name}


def _suite_leaderboards(root: Path, names: list[str]) -> list[dict[str, Any]]:
    return [_read_leaderboard(root / n / "leaderboard.json") for n in names]


def write_site(
    leaderboards_dir: Path, suite: str, leaderboard: dict[str, Any], explorer: dict[str, Any]
) -> Path:
    """Write ``<dir>/<suite>/index.html`` (and its chart as ``curated_vs_large.svg``) and refresh
    ``<dir>/index.html``; return the suite page.

    The index lists every ``<dir>/*/leaderboard.json`` that has a page beside it (so no link is
    dead), with this suite's entry taken from ``leaderboard`` (its JSON file may be written before
    or after this call).
    """
    _check_suite_name(suite)
    root = Path(leaderboards_dir)
    page = root / suite / "index.html"
    _write_atomic(page, render_suite_page(leaderboard, explorer))
    cvl = leaderboard.get("curated_vs_large")
    chart = svg.standalone_chart((cvl.get("points") or []) if isinstance(cvl, dict) else [])
    if chart:
        _write_atomic(root / suite / CHART_FILE, chart)
    else:
        (root / suite / CHART_FILE).unlink(missing_ok=True)
    others = sorted(
        p.parent.name
        for p in root.glob("*/leaderboard.json")
        if p.parent.name != suite and (p.parent / "index.html").is_file()
    )
    entries = [*_suite_leaderboards(root, others), {**leaderboard, "suite": suite}]
    _write_atomic(root / "index.html", render_index(entries))
    return page


def publish(source_dir: Path, suites: list[str] | None, out: Path) -> Path:
    """Copy the chosen suites' pages (all when ``suites`` is None) into a GitHub Pages folder.

    ``out`` gets ``<suite>/index.html`` (plus the suite's leaderboard.json/.csv/.md when present),
    an ``index.html`` listing just those suites, and ``.nojekyll`` so Pages serves files as-is.
    """
    src, dst = Path(source_dir), Path(out)
    available = sorted(p.parent.name for p in src.glob("*/index.html"))
    chosen = available if suites is None else list(dict.fromkeys(suites))
    missing = [s for s in chosen if s not in available]
    if missing:
        raise ConfigError(
            f"No generated page for suite(s) {', '.join(missing)} in {src}.",
            hint=(f"Available: {', '.join(available)}. " if available else "")
            + "Run `judgebench report SUITE` first.",
        )
    if dst.resolve() == src.resolve():
        raise ConfigError(f"--out {dst} is the leaderboards folder itself.", hint="Choose another folder.")
    for name in chosen:
        _check_suite_name(name)
        (dst / name).mkdir(parents=True, exist_ok=True)
        for fname in _PUBLISHED_FILES:
            if (src / name / fname).is_file():
                shutil.copyfile(src / name / fname, dst / name / fname)
    _write_atomic(dst / "index.html", render_index(_suite_leaderboards(src, chosen)))
    (dst / ".nojekyll").write_text("", encoding="utf-8")
    return dst
