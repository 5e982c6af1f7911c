"""Reading a suite file as untrusted input: bounded, strict YAML, errors that name file and field.

Kept apart from :mod:`judgebench.config` (the frozen models) so each module has one job;
``judgebench.config`` re-exports :func:`load_suite`, :func:`read_suite_yaml` and
:func:`explain_validation`, the import paths callers use.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from judgebench.errors import SuiteError
from judgebench.paths import UnsafePath, read_regular

if TYPE_CHECKING:
    from judgebench.config import Suite

__all__ = ["BUILTIN_PREFIX", "MAX_SUITE_BYTES", "explain_validation", "load_suite", "read_suite_yaml"]

BUILTIN_PREFIX = "builtin:"
MAX_SUITE_BYTES = 4 << 20
"""A suite file is a page of YAML; anything bigger is a mistake (or /dev/zero)."""


def _field_path(loc: tuple[int | str, ...], data: Any) -> str:
    """`models[1].provider` (with the model's name when known) from a pydantic location."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            if isinstance(node, list) and item < len(node) and isinstance(node[item], dict):
                name = node[item].get("name")
                if name:
                    label = f"[{item}] ({name})"
            parts.append(label)
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


_EXPECTED = {
    "extra_forbidden": "this key is not allowed here (check its spelling; see the annotated suite in the README)",
    "missing": "this field is required",
}


def explain_validation(path: Path, exc: ValidationError, data: Any) -> SuiteError:
    """Turn pydantic's error list into one readable paragraph naming file, field and fix."""
    lines: list[str] = []
    first_field: str | None = None
    for err in exc.errors(include_url=False):
        field = _field_path(tuple(err["loc"]), data)
        first_field = first_field or field
        msg = _EXPECTED.get(err["type"], err["msg"])
        secret = bool({"api_key_env", "base_url", "base_urls"} & set(map(str, err["loc"])))  # keys, URLs with keys
        if err["type"] not in _EXPECTED and "input" in err and not isinstance(err["input"], dict | list) and not secret:
            msg += f" (got {json.dumps(err['input'], default=str)[:80]})"
        lines.append(f"`{field}`: {msg}")
    problem = "; ".join(lines)
    return SuiteError(
        path,
        first_field,
        problem,
        "Fix the field(s) named above; `judgebench run --help` and the README show a complete suite file.",
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that rejects a key given twice in one mapping (YAML would silently keep the last)
    and every alias (``*name``): a suite never needs one, and nine nested aliases of nine items
    each expand 1.3 KB into a billion nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in suite files; write the value out",
                event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (YAML would silently keep only the last one)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_suite_yaml(path: str | Path) -> dict[str, Any]:
    """The YAML mapping of a suite file, read as untrusted input. Raises SuiteError."""
    p = Path(path)
    try:
        raw_bytes = read_regular(p, MAX_SUITE_BYTES)
    except UnsafePath as e:
        if e.problem == "does not exist":
            raise SuiteError(p, None, "the file does not exist", "Check the path; suites live in suites/*.yaml.") from None
        if "folder" in e.problem:
            raise SuiteError(p, None, "this is a folder, not a suite file",
                             "Pass a suite YAML file, e.g. suites/demo.yaml.") from None
        raise SuiteError(p, None, f"the path {e.problem}", "Pass a regular suite YAML file.") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SuiteError(p, None, f"is not UTF-8 text (bad byte at offset {e.start})", "Save the file as UTF-8.") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SuiteError(p, None, f"YAML syntax error{where}: {problem}", "Fix the YAML syntax (indentation, colons, quotes).") from None
    if not isinstance(data, dict):
        raise SuiteError(p, None, "must be a YAML mapping with keys like name, prompts, models, reference, judge",
                         "See the annotated suite file in the README.")
    return dict(data)


def load_suite(path: str | Path) -> Suite:
    """Read, validate and resolve a suite file. Raises SuiteError; writes nothing."""
    p = Path(path)
    data = read_suite_yaml(p)
    if isinstance(data.get("source"), dict) and "prompts" not in data:
        raise SuiteError(p, "source", "this suite imports judgments made elsewhere; it has no prompts or endpoints to run",
                         f"Import it with `judgebench import alpaca-eval --suite-file {p}` (which also writes its report).")
    prompts = data.get("prompts")
    if isinstance(prompts, str):
        data["prompts"] = str((p.parent / prompts).absolute())  # resolved (and contained) when read
    _resolve_local_paths(p.parent, data)
    from judgebench.config import Suite  # here, not at the top: config re-exports this module

    try:
        suite = Suite.model_validate(data)
    except ValidationError as e:
        raise explain_validation(p, e, data) from None
    return suite


def _resolve_local_paths(base: Path, data: dict[str, Any]) -> None:
    """Make checkpoint and adapter folders given relative to the suite file absolute."""
    entries = [m for m in data.get("models") or [] if isinstance(m, dict)]
    if isinstance(data.get("judge"), dict):
        entries.append(data["judge"])
        sets = data["judge"].get("validation")
        for entry in sets if isinstance(sets, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("pairs"), str):
                entry["pairs"] = str(base / entry["pairs"])  # resolved (symlinks, loops) where it is checked
    for entry in entries:
        if entry.get("provider") != "vllm":
            continue
        for key in ("model", "adapter", "base"):
            value = entry.get(key)
            if isinstance(value, str) and not value.startswith(BUILTIN_PREFIX):
                candidate = base / value
                try:
                    if value.startswith((".", "/", "~")) or candidate.exists():
                        entry[key] = (str(candidate.expanduser().resolve()) if not value.startswith("~")
                                      else str(Path(value).expanduser()))
                except (OSError, RuntimeError):  # a symlink loop: left as written, vLLM reports it
                    continue
