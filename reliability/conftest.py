"""Fixtures of the reliability suite: a real loopback OpenAI-compatible server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from judgebench.testing.openai_server import FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(latency=0.005) as srv:
        yield srv
