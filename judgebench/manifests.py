"""Judging manifests: what a model's stored judgments were made under.

Judgment keys are content hashes of (judge, judge params, rubric, responses), so a suite can only
ever *read* judgments that match its current judge and rubric. What the keys cannot say is which
judge, rubric or prompt set a model's results came from when they are not the current ones --
after a suite file was edited, or for results imported from elsewhere. So the pipeline records,
per (suite, model), every manifest the model was judged under, and the gate compares the
candidate's with the baseline's before it trusts a comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from judgebench.config import JudgeSpec, Suite
from judgebench.plan import judge_identity, model_identity
from judgebench.rubrics import Rubric

FIELDS = {
    "judge": "judge model",
    "judge_params": "judge parameters",
    "rubric_hash": "rubric",
    "protocol": "verdict protocol",
    "prompts_hash": "prompt set",
    "reference": "reference model",
}
"""Manifest field -> what it means to a user (the fields two comparable results must share)."""


def judging_manifest(suite: Suite, rubric: Rubric, prompts_hash: str, n_prompts: int,
                     judge_model: str | None = None) -> dict[str, Any]:
    """The manifest of judging any model of ``suite`` now.

    ``judge_model`` overrides the judge's model name, for importers whose models were judged
    by different annotators within one suite.
    """
    judge = suite.judge
    identity, params = judge_parts(judge)
    if judge_model:
        identity["model"] = judge_model
    references = {}
    for name in suite.references:
        spec = suite.model(name)
        references[name] = {
            "model": model_identity(spec),
            "system_prompt": spec.system_prompt,
            "generation": suite.generation_for(spec).model_dump(mode="json", exclude={"samples"}),
        }
    return {
        "judge": identity,
        "judge_params": params,
        "rubric": rubric.name,
        "rubric_hash": rubric.hash,
        "protocol": rubric.protocol.name,
        "prompts_hash": prompts_hash,
        "n_prompts": n_prompts,
        "references": references,
    }


def judge_parts(judge: JudgeSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """(which judge, with what parameters): the judge's keyed config split for people to read,
    plus how its judgments are planned (orders, samples)."""
    keyed = judge_identity(judge)
    identity = {k: keyed.pop(k) for k in ("provider", "model")}
    if judge.provider == "openai":
        identity["base_url"] = keyed.pop("base_url", "default")
    return identity, keyed | {"orders": judge.orders, "samples": judge.samples}


def comparable(manifest: Mapping[str, Any], reference: str) -> dict[str, Any]:
    """The part of a manifest two results must share to be compared against ``reference``."""
    out = {k: manifest.get(k) for k in FIELDS if k != "reference"}
    out["reference"] = (manifest.get("references") or {}).get(reference)
    return out


def effective(recorded: Sequence[Mapping[str, Any]], current: Mapping[str, Any],
              reference: str) -> Mapping[str, Any] | None:
    """The manifest a model's readable results come from.

    The current one when the model was ever judged under it (its judgments are then the ones
    the suite reads), else the one it was most recently judged under, else None (nothing
    recorded: an older store).
    """
    want = comparable(current, reference)
    for m in recorded:
        if comparable(m, reference) == want:
            return m
    return recorded[0] if recorded else None


def differences(a: Mapping[str, Any], b: Mapping[str, Any], reference: str) -> list[tuple[str, Any, Any]]:
    """(label, value in a, value in b) for each comparable field that differs."""
    ca, cb = comparable(a, reference), comparable(b, reference)
    return [(FIELDS[k], _show(k, a, ca[k]), _show(k, b, cb[k])) for k in FIELDS if ca[k] != cb[k]]


def _show(field: str, manifest: Mapping[str, Any], value: Any) -> Any:
    """A readable value: the judge's model name, the rubric's name with its hash, etc."""
    if field == "judge" and isinstance(value, dict):
        return value.get("model")
    if field == "rubric_hash":
        return f"{manifest.get('rubric')} ({value})"
    if field == "prompts_hash":
        return f"{manifest.get('n_prompts')} prompts ({value})"
    return value
