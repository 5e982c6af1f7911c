"""A suite with everything it refers to loaded and checked: the input of every stage.

Loading never looks at endpoints (no API key, no vLLM): ``rubric render``, ``report`` and
``compare`` work from files (or from the store alone, :func:`from_store`) on any machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebench.config import ModelSpec, Suite, load_suite
from judgebench.errors import ConfigError, SuiteError
from judgebench.hashing import content_hash
from judgebench.promptset import load_prompts
from judgebench.records import Prompt
from judgebench.rubrics import Rubric, load_rubric
from judgebench.store import Store
from judgebench.suggest import did_you_mean, unknown_name


@dataclass(frozen=True)
class Prepared:
    """A suite with everything it refers to loaded and checked."""

    suite: Suite
    prompts: tuple[Prompt, ...]
    rubric: Rubric
    path: Path | None = None

    @property
    def suite_hash(self) -> str:
        return content_hash({"suite": self.suite.model_dump(mode="json", exclude={"prompts"}),
                             "prompts": self.prompts_hash}, 16)

    @property
    def prompts_hash(self) -> str:
        return content_hash([[p.id, list(p.turns), p.reference_answer] for p in self.prompts], 16)


def default_store(suite_path: Path | None) -> Path:
    base = suite_path.parent if suite_path is not None else Path.cwd()
    return base / ".judgebench" / "store.sqlite"


def load(path: str | Path) -> Prepared:
    """Suite, prompts and rubric, checked, without looking at endpoints (``rubric render`` needs no keys).

    Canaries (``canaries:``) are added to the suite's models here, so every later stage sees them.
    """
    from judgebench.canaries import with_canaries

    suite = with_canaries(load_suite(path))
    prompts = load_prompts(suite.prompts, suite_file=path)
    if suite.limit:
        prompts = prompts[: suite.limit]
    rubric = _load_suite_rubric(suite, Path(path))
    if rubric.protocol.needs_reference_answer and not any(p.reference_answer for p in prompts):
        raise ConfigError(
            f"Rubric {rubric.name!r} (protocol {rubric.protocol.name}) needs `reference_answer` in the prompts, "
            f"but {suite.prompts} has none.",
            "Add reference_answer to the prompts, or use another rubric.",
        )
    if suite.judge.scoring == "debiased-logprob" and (rubric.protocol.kind != "pairwise" or suite.judge.orders != "both"):
        raise SuiteError(path, "judge.scoring",
                         "debiased-logprob scoring compares the two orders of a pairwise verdict, but this judge "
                         f"uses protocol {rubric.protocol.name!r} with orders {suite.judge.orders!r}",
                         "Use a pairwise protocol with judge.orders: both, or scoring: argmax.")
    for i, spec in enumerate(suite.judge.validation):
        if rubric.protocol.kind != "pairwise" or rubric.protocol.needs_reference_answer:
            raise SuiteError(path, "judge.validation",
                             f"labelled pairs validate a pairwise judge, but protocol {rubric.protocol.name!r} is not one "
                             "(or needs a reference answer)", "Remove judge.validation, or use the pairwise rubric.")
        _check_pairs_file(Path(path), i, Path(spec.pairs))
    if (suite.judge.logprobs or suite.judge.scoring == "debiased-logprob") and not rubric.protocol.supports_logprobs:
        raise ConfigError(
            f"judge.logprobs is on, but protocol {rubric.protocol.name!r} cannot be logprob-weighted "
            "(its labels do not start with distinct tokens).",
            "Set judge.logprobs: false, or use a protocol such as pairwise, lima or absolute.",
        )
    return Prepared(suite=suite, prompts=tuple(prompts), rubric=rubric, path=Path(path))


def _load_suite_rubric(suite: Suite, path: Path) -> Rubric:
    """load_rubric, with a bad `judge.protocol` or `judge.rubric` name blamed on the suite file's field."""
    from judgebench.protocols import get_protocol
    from judgebench.rubrics import resolve_path

    try:
        if suite.judge.protocol:
            get_protocol(suite.judge.protocol)
    except ConfigError as e:
        raise SuiteError(path, "judge.protocol", e.message, e.hint) from None
    try:
        resolve_path(suite.judge.rubric, path.parent)
    except ConfigError as e:
        raise SuiteError(path, "judge.rubric", e.message, e.hint) from None
    return load_rubric(suite.judge.rubric, suite.judge.protocol, path.parent)


def saved_config(prepared: Prepared) -> dict[str, Any]:
    """What the store keeps so that reports (and gates) work without the suite file."""
    r = prepared.rubric
    return {"suite": prepared.suite.model_dump(mode="json"),
            "rubric": {"name": r.name, "path": str(r.path), "source": r.source, "protocol": r.protocol.name}}


def from_store(store: Store, name: str) -> Prepared:
    """Rebuild a Prepared suite from what ``run`` or ``import`` saved in the store."""
    from judgebench.protocols import get_protocol

    saved = store.suite(name)
    if saved is None:
        names = store.suite_names()
        hint = did_you_mean(name, names)
        raise ConfigError(f"No suite named {name!r} in the store {store.path} (suites there: {', '.join(names) or 'none'}).",
                          (f"{hint[0].upper()}{hint[1:]} " if hint else "") + "Pass a suite file, or the --store that holds the suite.")
    config, prompts = saved
    suite = Suite.model_validate(config["suite"])
    r = config["rubric"]
    rubric = Rubric(name=r["name"], path=Path(r["path"]), source=r["source"], protocol=get_protocol(r["protocol"]))
    records = tuple(Prompt(id=p["id"], turns=tuple(p["turns"]), category=p.get("category") or "",
                           reference_answer=p.get("reference_answer")) for p in prompts)
    return Prepared(suite=suite, prompts=records, rubric=rubric, path=None)


def selected_models(suite: Suite, only: Sequence[str] | None) -> list[ModelSpec]:
    if only is None:
        return list(suite.models)
    wanted = set(only) | set(suite.references)
    for name in only:
        if name not in {m.name for m in suite.models}:
            raise unknown_name("model", name, [m.name for m in suite.models], suite.name)
    return [m for m in suite.models if m.name in wanted]




def _check_pairs_file(suite_path: Path, i: int, pairs: Path) -> None:
    """A validation set is read like the prompts: a regular file inside the suite's folder tree
    (a suite from a pull request must not send ``/proc/self/environ`` to a judge it names)."""
    from judgebench.paths import UnsafePath, contained, require_regular

    field = f"judge.validation[{i}].pairs"
    hint = "Give a regular pairs file inside the suite's folder, named relative to the suite file."
    try:
        require_regular(contained(pairs, [Path(suite_path).parent]))
    except UnsafePath as e:
        raise SuiteError(suite_path, field, f"the pairs file {pairs} {e.problem}", hint) from None
