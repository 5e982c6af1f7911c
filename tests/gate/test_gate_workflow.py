"""The example GitHub Actions workflow: valid YAML, real judgebench commands and flags, a working snippet."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
import yaml

from judgebench.cli import main
from judgebench.config import load_suite
from tests.conftest import REPO, cli

WORKFLOW = REPO / "examples" / "github-actions" / "judgebench-gate.yml"


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    return list(workflow()["jobs"]["gate"]["steps"])


def judgebench_commands() -> list[list[str]]:
    """Every judgebench command line the workflow runs, as argv (line continuations joined)."""
    out = []
    for step in steps():
        script = step.get("run", "").replace("\\\n", " ")
        for line in script.splitlines():
            tokens = shlex.split(line, comments=True)
            if tokens and tokens[0] == "judgebench":
                out.append(tokens[1:])
    return out


def options_of(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}


def test_valid_workflow_with_the_documented_triggers() -> None:
    data = workflow()
    triggers: dict[str, Any] = data["on"] if "on" in data else data[True]  # YAML 1.1 reads `on` as True
    assert set(triggers) == {"workflow_dispatch", "push"}
    assert triggers["workflow_dispatch"]["inputs"]["checkpoint"]["required"] is True
    uses = [s.get("uses", "") for s in steps()]
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    assert any("junit" in u for u in uses)


def test_every_judgebench_command_and_flag_exists() -> None:
    commands = judgebench_commands()
    assert [c[0] for c in commands] == ["gate", "report", "publish"]
    for argv in commands:
        command = main.commands[argv[0]]
        flags = {t.split("=")[0] for t in argv[1:] if t.startswith("--")}
        assert flags <= options_of(command), (argv[0], flags - options_of(command))


def test_gate_flags_appear_in_the_real_help() -> None:
    gate_argv = next(c for c in judgebench_commands() if c[0] == "gate")
    r = cli("gate", "--help")
    assert r.returncode == 0
    for flag in (t for t in gate_argv if t.startswith("--")):
        assert re.search(rf"{re.escape(flag)}\b", r.stdout), flag


def test_the_extra_it_installs_exists() -> None:
    install = next(s["run"] for s in steps() if "pip install" in s.get("run", ""))
    extra = re.search(r"judgebench\[(\w+)\]", install)
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extra and extra.group(1) in extras


def test_the_candidate_snippet_adds_a_valid_model(tmp_path: Path) -> None:
    run = next(s for s in steps() if s.get("id") == "candidate")["run"]
    snippet = run.split("<<'PY'\n", 1)[1].split("\nPY", 1)[0]
    (tmp_path / "p.jsonl").write_text('{"id": "a", "prompt": "hi"}\n')
    suite = tmp_path / "alignment.yaml"
    suite.write_text(
        "name: alignment\nprompts: p.jsonl\nreference: ref\n"
        "models:\n"
        "  - {name: ref, provider: vllm, model: /ckpt/ref}\n"
        "  - {name: production, provider: vllm, model: /ckpt/prod, server: {max_model_len: 4096},\n"
        "     training: {dataset: lima, examples: 1000}}\n"
        "judge: {model: gpt-4o}\n")
    output = tmp_path / "github_output"
    env = os.environ | {"SUITE": str(suite), "CHECKPOINT": "/data/checkpoints/ckpt-2024-06-01/",
                        "GITHUB_OUTPUT": str(output)}
    r = subprocess.run([sys.executable, "-c", snippet], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert values["name"] == "ckpt-2024-06-01"
    gated = load_suite(values["suite"])
    new = gated.model("ckpt-2024-06-01")
    assert Path(new.model) == Path("/data/checkpoints/ckpt-2024-06-01") and new.provider == "vllm"
    assert new.server.max_model_len == 4096 and new.training is None
    assert gated.model("production").model == "/ckpt/prod"
