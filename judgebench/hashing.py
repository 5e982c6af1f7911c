"""Content-addressed keys: canonical JSON -> SHA-256.

A key includes everything that changes the output and nothing that does not (concurrency,
timeouts, display names), so results from many machines merge into one store.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(obj: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, UTF-8 kept."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(obj: Any, length: int = 32) -> str:
    """Hex SHA-256 of the canonical JSON of ``obj`` (truncated; 128 bits is plenty)."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:length]


def text_hash(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
