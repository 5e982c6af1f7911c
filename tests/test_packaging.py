"""The wheel is self-contained: built with ``pip wheel .`` and imported outside the repository,
it loads every built-in rubric and exposes the console script's entry point.

The sources are copied to a temporary folder first, so the build leaves nothing in the checkout,
and the wheel is unpacked onto a fresh ``sys.path`` of an isolated interpreter (``-I``) run from
another temporary folder: nothing of the repository can be imported by accident.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import judgebench
from judgebench.cli import main
from judgebench.rubrics import BUILTIN_DIR, load_rubric
names = sorted(p.stem for p in BUILTIN_DIR.glob("*.j2"))
loaded = {n: load_rubric(n).protocol.name for n in names}
print(json.dumps({"package": judgebench.__file__, "builtin_dir": str(BUILTIN_DIR), "loaded": loaded,
                  "main": type(main).__name__}))
"""


def test_wheel_outside_the_repo_loads_every_builtin_rubric(tmp_path: Path) -> None:
    pytest.importorskip("setuptools", reason="building the wheel without isolation needs setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("judgebench", "prompts"):
        shutil.copytree(REPO / name, src / name, symlinks=True, ignore=ignore)
    out = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = out.glob("judgebench-*.whl")

    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        members = zf.namelist()
        zf.extractall(site)
    entry_points = next(m for m in members if m.endswith(".dist-info/entry_points.txt"))
    assert "judgebench = judgebench.cli:main" in (site / entry_points).read_text()

    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    probe = subprocess.run([sys.executable, "-I", "-c", _PROBE, str(site)], capture_output=True, text=True, cwd=cwd)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert Path(found["package"]).is_relative_to(site)
    assert Path(found["builtin_dir"]).is_relative_to(site)
    expected = sorted(p.stem for p in (REPO / "prompts").glob("*.j2"))
    assert expected and sorted(found["loaded"]) == expected
    assert found["loaded"]["pairwise"] == "pairwise"
    assert found["main"] == "Group"
