"""Write judgments published by other tools into the store as a suite of their own.

The imported suite is an ordinary suite: its models and judge are recorded as endpoints at an
``imported://`` URL (nothing can be requested from them), responses and judgments are stored
under the same content keys a run would compute, and the rubric text saved with the suite names
the source. So ``judgebench report NAME --store PATH`` and ``judgebench gate`` work unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from judgebench.config import JudgeSpec, ModelSpec, Suite, TrainingMeta
from judgebench.errors import ConfigError
from judgebench.importers.alpaca_eval import AlpacaEvalAnnotations, read_alpaca_eval
from judgebench.judge import Judge
from judgebench.manifests import judging_manifest
from judgebench.plan import response_key
from judgebench.prepared import Prepared, saved_config
from judgebench.protocols import PAIRWISE
from judgebench.records import Prompt
from judgebench.rubrics import Rubric
from judgebench.store import Store

IMPORTED_URL = "imported://alpaca-eval"


def _spec(name: str, training: TrainingMeta | None = None) -> ModelSpec:
    try:
        return ModelSpec(name=name, provider="openai", model=name, base_url=IMPORTED_URL, training=training)
    except ValueError as e:
        raise ConfigError(f"Cannot import model {name!r}: {e}", "Model names may use letters, digits and . _ : + -") from None


def import_alpaca_eval_files(files: Sequence[Path], suite_name: str, store_path: Path) -> str:
    """Import AlpacaEval annotation files as ``suite_name``; returns a one-line summary."""
    return import_annotations(read_alpaca_eval(files), files, suite_name, store_path)


def import_annotations(ann: AlpacaEvalAnnotations, files: Sequence[Path], suite_name: str, store_path: Path, *,
                       description: str | None = None,
                       training: Mapping[str, TrainingMeta | None] | None = None) -> str:
    """Store annotations read from ``files`` as suite ``suite_name``; ``training`` per model name."""
    if not ann.judgments:
        raise ConfigError(f"No annotations in {', '.join(map(str, files))}.", "Pass AlpacaEval annotation files.")
    training = training or {}
    annotators = sorted({j.annotator for j in ann.judgments})
    names = list(dict.fromkeys([*ann.references, *ann.models]))
    judge = JudgeSpec(provider="openai", model=",".join(annotators) or "unknown", base_url=IMPORTED_URL, orders="AB")
    try:
        suite = Suite(name=suite_name, prompts=Path(files[0]).resolve(), models=[_spec(n, training.get(n)) for n in names],
                      reference=list(ann.references), judge=judge,
                      description=description or f"Imported from AlpacaEval annotations ({len(files)} file(s)).")
    except ValueError as e:
        raise ConfigError(f"Cannot import as suite {suite_name!r}: {e}", "Choose a suite name of letters, digits, . _ -") from None
    prompts = [Prompt(id=p.id, turns=(p.text,), category=p.category) for p in ann.prompts]
    by_id = {p.id: p for p in prompts}
    rubric = Rubric(name="alpaca_eval (imported)", path=Path(files[0]).resolve(),
                    source=f"Verdicts imported from AlpacaEval; annotator(s): {', '.join(annotators)}",
                    protocol=PAIRWISE)
    prepared = Prepared(suite=suite, prompts=tuple(prompts), rubric=rubric, path=None)
    judging = Judge(judge, rubric)
    keys: dict[tuple[str, str], str] = {}
    response_rows = []
    for out in ann.outputs:
        spec = suite.model(out.model)
        key = response_key(spec, suite.generation_for(spec), by_id[out.prompt_id], 0)
        keys[(out.model, out.prompt_id)] = key
        response_rows.append({"key": key, "text": out.text, "info": {"model": out.model, "prompt_id": out.prompt_id}})
    judgment_rows = []
    for j in ann.judgments:
        mkey, rkey = keys[(j.model, j.prompt_id)], keys[(j.reference, j.prompt_id)]
        judgment_rows.append({
            "key": judging.key(mkey, rkey, "AB", 0),
            "status": j.status,
            "label": None if j.raw is None else str(j.raw),
            "preference": j.preference,
            "info": {"model": j.model, "reference": j.reference, "prompt_id": j.prompt_id, "order": "AB",
                     "annotator": j.annotator, "imported": "alpaca-eval"},
        })
    with Store(store_path) as store:
        store.put_responses_bulk(response_rows)
        store.put_judgments_bulk(judgment_rows)
        store.save_suite(suite.name, saved_config(prepared),
                         [{"id": p.id, "turns": list(p.turns), "category": p.category, "reference_answer": None}
                          for p in prompts])
        judged_by: dict[str, set[str]] = {}
        for j in ann.judgments:
            judged_by.setdefault(j.model, set()).add(j.annotator)
        for name, who in judged_by.items():  # per model: AlpacaEval models were judged by different annotators
            store.record_manifest(suite.name, name, judging_manifest(
                suite, rubric, prepared.prompts_hash, len(prompts), judge_model=",".join(sorted(who))))
    return (f"Imported {len(ann.judgments)} judgments of {len(ann.models)} model(s) against "
            f"{', '.join(ann.references)} on {len(prompts)} prompts as suite {suite_name!r} into {store_path}.")
