"""judgebench: which fine-tuned checkpoint is better aligned, by how much, with what certainty.

Importing this package is cheap: it never imports vLLM, torch, pandas or rich.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
