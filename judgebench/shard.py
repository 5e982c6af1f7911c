"""Shards: ``--shard i/n`` gives one of n machines a deterministic 1/n of a suite's work.

The unit of work is a prompt, chosen by the hash of its content (never its id or position), so
every response and judgment of one prompt lands in the same shard: a shard can judge everything
it generated without waiting for another machine, and its keys are exactly the keys one machine
doing everything would have written. The n stores then merge into one (:mod:`judgebench.merge`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from judgebench.errors import ConfigError
from judgebench.hashing import content_hash
from judgebench.records import Prompt

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 10_000


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based: ``1/2`` and ``2/2`` split a suite in two)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not (1 <= self.count <= MAX_SHARDS and 1 <= self.index <= self.count):
            raise ConfigError(
                f"--shard {self.index}/{self.count} is not a shard: use i/n with 1 <= i <= n <= {MAX_SHARDS}.",
                "For example --shard 1/2 on one machine and --shard 2/2 on another.",
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/3"`` -> Shard(2, 3); anything else is a ConfigError naming the expected form."""
        m = _SHARD.match(text)
        if m is None:
            raise ConfigError(
                f"--shard {text!r} is not of the form i/n (like 1/2).",
                "Pass --shard 1/2 on one machine and --shard 2/2 on another, then `judgebench merge` the stores.",
            )
        return cls(int(m.group(1)), int(m.group(2)))

    def owns(self, prompt: Prompt) -> bool:
        """Whether this shard does ``prompt``'s work (its content hash modulo ``count``)."""
        return bucket(prompt, self.count) == self.index - 1

    def select(self, prompts: Sequence[Prompt]) -> tuple[Prompt, ...]:
        """The prompts this shard owns, in their original order."""
        return tuple(p for p in prompts if self.owns(p))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def bucket(prompt: Prompt, count: int) -> int:
    """0..count-1 from the prompt's content (the same content lands in the same bucket anywhere)."""
    return int(content_hash({"kind": "shard", "prompt": prompt.content()}, 16), 16) % count
