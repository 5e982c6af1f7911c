"""Import suites: a suite file that names published judgments instead of endpoints to run.

The file (e.g. ``suites/alpaca-eval-1.yaml``) names the annotation files relative to a *data
root* and gives each model's ``training:`` metadata, so one command rebuilds the leaderboard
from public files. The data root is never taken from the file (a suite from a pull request could
point it at ``/``): it is ``--data``, else ``$JUDGEBENCH_DATA``, else ``../shared/data`` beside
the repository that holds the suite (``<suite folder>/../../shared/data``). Every file named must
resolve, symlinks followed, to a regular file inside that root.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from judgebench.config import Frozen, TrainingMeta, explain_validation, read_suite_yaml
from judgebench.errors import ConfigError, SuiteError
from judgebench.importers.alpaca_eval import AlpacaEvalAnnotations, read_alpaca_eval
from judgebench.paths import UnsafePath, contained

DATA_ENV = "JUDGEBENCH_DATA"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$"


class ImportedModel(Frozen):
    """A model whose judgments are imported; ``training`` feeds the curated-versus-large chart."""

    name: str = Field(pattern=_NAME)
    training: TrainingMeta | None = None


class ImportSource(Frozen):
    """Where the judgments come from and who made them."""

    format: Literal["alpaca-eval"]
    judge: str = Field(min_length=1, max_length=200, description="The judge in words, e.g. GPT-4.")
    annotators: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] = Field(
        description="The annotator names the files may carry; a file judged by another is refused.")
    reference: str = Field(pattern=_NAME)
    files: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=1000)] = Field(
        description="Annotation files, relative to the data root.")


class ImportSuite(Frozen):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = Field(None, max_length=2000)
    source: ImportSource
    models: Annotated[list[ImportedModel], Field(min_length=1)]
    explorer_prompts: int | None = Field(
        None, ge=1, le=10**6, description="Show only the first N prompts in the page's response explorer (the "
        "statistics use every prompt): keeps a committed page small and the source's texts mostly out of it.")


@dataclass(frozen=True)
class LoadedImport:
    """An import suite with its files found, read and checked against what the suite declares."""

    suite: ImportSuite
    path: Path
    data_root: Path
    files: tuple[Path, ...]
    annotations: AlpacaEvalAnnotations

    @property
    def training(self) -> dict[str, TrainingMeta | None]:
        return {m.name: m.training for m in self.suite.models}

    def description(self) -> str:
        """The suite's description plus what the page must always say: who judged, and that the
        judgments were imported, not re-run."""
        by_annotator: dict[str, list[str]] = {}
        for j in self.annotations.judgments:
            models = by_annotator.setdefault(j.annotator, [])
            if j.model not in models:
                models.append(j.model)
        who = "; ".join(f"{a} for {', '.join(ms)}" if len(by_annotator) > 1 else a
                        for a, ms in by_annotator.items())
        s = self.suite.source
        lead = (self.suite.description or "").strip()
        text = (f"{lead + ' ' if lead else ''}Judge: {s.judge} (AlpacaEval annotator {who}), each model against "
                f"{s.reference}. These {len(self.annotations.judgments)} judgments were imported from "
                "AlpacaEval's published annotation files, not re-run by judgebench.")
        n, shown = len(self.annotations.prompts), self.suite.explorer_prompts
        if shown is not None and shown < n:
            text += f" The response explorer shows the first {shown} of the {n} prompts; the statistics use all {n}."
        return text


def trim_explorer(explorer: dict[str, Any], n: int | None) -> dict[str, Any]:
    """The explorer data (report.explorer_data) for its first ``n`` prompts only."""
    if n is None or n >= len(explorer.get("prompts") or []):
        return explorer
    keep = {p["id"] for p in explorer["prompts"][:n]}

    def only(by_prompt: dict[str, Any]) -> dict[str, Any]:
        return {pid: v for pid, v in by_prompt.items() if pid in keep}

    return explorer | {
        "prompts": explorer["prompts"][:n],
        "responses": {m: only(r) for m, r in explorer["responses"].items()},
        "judgments": {m: {ref: only(v) for ref, v in refs.items()} for m, refs in explorer["judgments"].items()},
        "outcomes": {m: {ref: only(v) for ref, v in refs.items()} for m, refs in explorer["outcomes"].items()},
    }


def data_root(suite_path: Path, explicit: str | None, env: Mapping[str, str]) -> Path:
    """The folder the suite's files are read from (see the module docstring)."""
    if explicit:
        root, origin = Path(explicit), "--data"
    elif env.get(DATA_ENV):
        root, origin = Path(env[DATA_ENV]), f"${DATA_ENV}"
    else:
        root = suite_path.absolute().parent.parent.parent / "shared" / "data"
        origin = "the default, ../shared/data beside the repository holding the suite"
    if not root.is_dir():
        raise ConfigError(
            f"The data folder {root} ({origin}) does not exist, so the published judgments cannot be read.",
            f"Get the public files (see the suite file's comments) and pass --data DIR or set {DATA_ENV}.")
    return root


def _resolve(suite_path: Path, root: Path, index: int, name: str) -> Path:
    field = f"source.files[{index}]"
    if Path(name).is_absolute() or name.startswith("~"):
        raise SuiteError(suite_path, field, f"{name!r} is absolute; files are named relative to the data root {root}",
                         "Write the path relative to the data root (e.g. alpaca_eval/ae1_annotations/x.json).")
    try:
        return contained(root / name, [root])
    except UnsafePath as e:
        problem = e.problem.replace("the suite's folder tree", "the data root")
        raise SuiteError(suite_path, field, f"{name!r} {problem}",
                         f"Name a file inside the data root {root.resolve()}.") from None


def load_import_suite(path: Path, data: str | None, env: Mapping[str, str]) -> LoadedImport:
    """Read and check an import suite and its annotation files. Raises ConfigError; writes nothing."""
    raw = read_suite_yaml(path)
    try:
        suite = ImportSuite.model_validate(raw)
    except ValidationError as e:
        raise explain_validation(path, e, raw, ImportSuite) from None
    names = [m.name for m in suite.models]
    if len(set(names)) != len(names):
        raise SuiteError(path, "models", "a model is listed twice", "List each model once.")
    root = data_root(path, data, env)
    files = tuple(_resolve(path, root, i, f) for i, f in enumerate(suite.source.files))
    ann = read_alpaca_eval(files)
    _check(path, suite, ann)
    return LoadedImport(suite=suite, path=path, data_root=root, files=files, annotations=ann)


def _check(path: Path, suite: ImportSuite, ann: AlpacaEvalAnnotations) -> None:
    """The files must hold exactly what the suite says: its reference, annotators and models."""
    src = suite.source
    if not ann.judgments:
        raise SuiteError(path, "source.files", "the files hold no annotations", "Name AlpacaEval annotation files.")
    if tuple(ann.references) != (src.reference,):
        raise SuiteError(path, "source.reference", f"the files compare against {', '.join(ann.references) or 'nothing'}, "
                         f"not {src.reference!r}", "Set source.reference to the files' generator_1.")
    foreign = sorted({j.annotator for j in ann.judgments} - set(src.annotators))
    if foreign:
        raise SuiteError(path, "source.annotators", f"the files were judged by {', '.join(map(repr, foreign))}, which "
                         "the suite does not declare", "Add the annotator to source.annotators, or drop those files.")
    declared, found = {m.name for m in suite.models}, set(ann.models)
    if declared != found:
        parts = []
        if found - declared:
            parts.append(f"the files hold {', '.join(sorted(found - declared))}, not listed under models")
        if declared - found:
            parts.append(f"no file holds {', '.join(sorted(declared - found))}")
        raise SuiteError(path, "models", "; ".join(parts),
                         "List exactly the models the files judge (their generator_2), each with its training facts.")
