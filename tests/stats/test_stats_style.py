"""Style features for Bradley–Terry style control."""

from __future__ import annotations

import numpy as np
import pytest

from judgebench.stats import markdown_density, style_features
from judgebench.stats.style import markdown_elements


def test_markdown_elements_by_hand() -> None:
    text = "# Title\nSome **bold** words.\n\n- one\n- two\n1. first\n2) second\nplain # not a header"
    assert markdown_elements(text) == 1 + 1 + 4
    assert markdown_density(text) == pytest.approx(1000 * 6 / len(text))
    assert markdown_density("") == 0.0


def test_features_are_standardised_differences() -> None:
    la, lb = np.array([300.0, 100.0, 200.0, np.nan]), np.array([100.0, 100.0, 200.0, 50.0])
    da, db = np.array([5.0, 0.0, 1.0, 2.0]), np.array([0.0, 0.0, 3.0, 1.0])
    features = style_features(la, lb, da, db)
    known_length = np.array([0.5, 0.0, 0.0])  # the fourth game's length is unknown: it gets 0
    raw_density = np.array([5.0, 0.0, -2.0, 1.0])
    expected_length = (known_length - known_length.mean()) / known_length.std()
    np.testing.assert_allclose(features[:, 0], [*expected_length, 0.0])
    np.testing.assert_allclose(features[:, 1], (raw_density - raw_density.mean()) / raw_density.std())
