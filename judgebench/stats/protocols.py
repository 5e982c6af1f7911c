"""Structural types for the model metadata the statistics read.

The statistics only need a few attributes of a model; a Protocol keeps this package free of any
dependency on the core records module (``judgebench.records.ModelInfo`` satisfies it).
"""

from __future__ import annotations

from typing import Protocol


class TrainingLike(Protocol):
    """What a model was fine-tuned on; any attribute may be None when unknown."""

    @property
    def dataset(self) -> str | None: ...

    @property
    def examples(self) -> int | None: ...

    @property
    def curated(self) -> bool | None: ...

    @property
    def base_model(self) -> str | None: ...


class ModelLike(Protocol):
    """A model of a suite as the statistics see it."""

    @property
    def name(self) -> str: ...

    @property
    def is_reference(self) -> bool: ...

    @property
    def is_canary(self) -> bool: ...

    @property
    def training(self) -> TrainingLike | None: ...
