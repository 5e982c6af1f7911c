"""judgebench: which fine-tuned checkpoint is better aligned, by how much, with what certainty.

Importing this package is cheap: it never imports vLLM, torch, pandas or rich. The Python API
(:func:`open_store`, :func:`run`, in :mod:`judgebench.api`) is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "open_store", "run"]

if TYPE_CHECKING:
    from judgebench.api import open_store, run


def __getattr__(name: str) -> Any:
    if name in ("open_store", "run"):
        from judgebench import api

        return getattr(api, name)
    raise AttributeError(f"module 'judgebench' has no attribute {name!r}")
