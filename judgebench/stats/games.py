"""Bradley–Terry games built from the per-prompt preferences (and, for style control, responses)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from judgebench.stats.bradley_terry import Games
from judgebench.stats.style import markdown_density, style_features


def _per_response(responses: pd.DataFrame, values: pd.Series) -> pd.Series:
    """Mean of ``values`` (aligned with ok responses) per (prompt_id, model)."""
    ok = responses[responses["status"] == "ok"]
    return values.groupby([ok["prompt_id"], ok["model"]]).mean()


def games_from_preferences(per_prompt: pd.DataFrame, responses: pd.DataFrame, style_control: bool) -> Games | None:
    """Every (model, reference, prompt) preference as one game, weighted by its usable judgments.

    ``per_prompt`` is :func:`judgebench.stats.per_prompt_preferences`' frame; ``responses`` the
    responses frame, read only with ``style_control`` (lengths and markdown density of both
    sides). None when there is no usable judgment.
    """
    if per_prompt.empty:
        return None
    players = sorted(set(per_prompt["model"]) | set(per_prompt["reference"]))
    prompts = sorted(set(per_prompt["prompt_id"]))
    player_index = {p: k for k, p in enumerate(players)}
    prompt_index = {p: k for k, p in enumerate(prompts)}
    features = None
    if style_control:
        ok = responses[responses["status"] == "ok"] if not responses.empty else responses
        length = _per_response(responses, ok["length"].astype(float)) if not ok.empty else pd.Series(dtype=float)
        density = (
            _per_response(responses, ok["text"].astype(str).map(markdown_density))
            if not ok.empty
            else pd.Series(dtype=float)
        )

        def lookup(table: pd.Series, who: str) -> np.ndarray:
            keys = pd.MultiIndex.from_arrays([per_prompt["prompt_id"], per_prompt[who]])
            return table.reindex(keys).to_numpy(dtype=float) if not table.empty else np.full(len(keys), np.nan)

        features = style_features(
            lookup(length, "model"), lookup(length, "reference"), lookup(density, "model"), lookup(density, "reference")
        )
    return Games(
        players=players,
        i=per_prompt["model"].map(player_index).to_numpy(),
        j=per_prompt["reference"].map(player_index).to_numpy(),
        y=per_prompt["x"].to_numpy(dtype=float),
        w=per_prompt["n_ok"].to_numpy(dtype=float),
        prompt=per_prompt["prompt_id"].map(prompt_index).to_numpy(),
        n_prompts=len(prompts),
        features=features,
    )
