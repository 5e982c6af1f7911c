"""Fixtures for the site tests: fresh copies of the hostile sample data (see site_samples)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from site_samples import make_explorer, make_leaderboard


@pytest.fixture
def leaderboard() -> dict[str, Any]:
    return copy.deepcopy(make_leaderboard())


@pytest.fixture
def explorer() -> dict[str, Any]:
    return copy.deepcopy(make_explorer())
