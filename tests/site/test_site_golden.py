"""Golden pages: the HTML a reader gets for the sample data, checked in and diffed.

A deliberate change to the templates, CSS or JS shows up here as a diff to review. Regenerate with
``JUDGEBENCH_UPDATE_GOLDENS=1 .venv/bin/python -m pytest tests/site/test_site_golden.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from judgebench.site import render_index, render_suite_page

GOLDENS = Path(__file__).parent / "goldens"


def _check(name: str, html: str) -> None:
    path = GOLDENS / name
    if os.environ.get("JUDGEBENCH_UPDATE_GOLDENS") == "1":
        path.write_text(html, encoding="utf-8", newline="\n")
        pytest.skip(f"rewrote {path}")
    assert path.is_file(), f"missing golden {path}; set JUDGEBENCH_UPDATE_GOLDENS=1 to create it"
    assert html == path.read_text(encoding="utf-8"), (
        f"{name} changed; review and regenerate (see module docstring)"
    )


def test_suite_page_golden(leaderboard: dict[str, Any], explorer: dict[str, Any]) -> None:
    _check("suite_demo.html", render_suite_page(leaderboard, explorer))


def test_index_golden(leaderboard: dict[str, Any]) -> None:
    _check("index.html", render_index([leaderboard, {"suite": "empty"}]))
