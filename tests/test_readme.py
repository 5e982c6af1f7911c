"""The README stands alone: its defaults are the code's, and it points only at files in the clone."""

from __future__ import annotations

import re

import yaml

from judgebench.config import GateSpec
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_gate_defaults_shown_are_the_real_ones() -> None:
    line = next(x for x in README.splitlines() if x.startswith("gate: {"))
    shown = yaml.safe_load(line.split("#")[0])["gate"]
    real = GateSpec()
    assert shown == {k: getattr(real, k) for k in shown}, line


def test_every_file_the_readme_names_is_in_the_clone() -> None:
    linked = re.findall(r"\]\(([^)#:]+)\)", README)  # markdown links, not URLs or anchors
    named = re.findall(r"`((?:suites|prompts|scripts|benchmarks|docs|examples|leaderboards|reliability)/[\w./-]+)`",
                       README)
    missing = [p for p in [*linked, *named] if "*" not in p and "<" not in p and not (REPO / p).exists()]
    assert not missing, missing
    outside = [m for m in re.findall(r"\.\./[\w./-]+", README) if m != "../shared/data"]
    assert not outside, f"the README sends users outside the repository: {outside}"


def test_make_demo_writes_its_page_where_git_ignores_it() -> None:
    import shutil
    import subprocess

    import pytest

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    out = re.search(r"--out (\S+)", recipe)
    assert out, "make demo must name its --out (the default, leaderboards/, is tracked)"
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: cannot ask git what it ignores")
    page = f"{out.group(1)}/demo/index.html"
    ignored = subprocess.run(["git", "check-ignore", "-q", page], cwd=REPO, check=False)
    assert ignored.returncode == 0, f"{page} would dirty the clone"
