"""Reading a suite file as untrusted input: bounded, strict YAML, errors that name file and field.

Kept apart from :mod:`judgebench.config` (the frozen models) so each module has one job;
``judgebench.config`` re-exports :func:`load_suite`, :func:`read_suite_yaml` and
:func:`explain_validation`, the import paths callers use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from judgebench.errors import SuiteError
from judgebench.paths import UnsafePath, read_regular
from judgebench.suggest import did_you_mean

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


_PLAIN = {
    "missing": "this field is required",
    "string_type": "must be text (quote it)",
    "int_type": "must be an integer (a whole number)",
    "int_parsing": "must be an integer (a whole number)",
    "int_from_float": "must be an integer (a whole number), not a fraction",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list (`[a, b]`, or one `- item` per line)",
    "tuple_type": "must be a list (`[a, b]`, or one `- item` per line)",
    "dict_type": "must be a mapping (`key: value` lines)",
    "model_type": "must be a mapping (`key: value` lines)",
    "model_attributes_type": "must be a mapping (`key: value` lines)",
    "path_type": "must be a file name, relative to the suite file (like prompts.jsonl)",
}
_BOUNDS = {"greater_than": ("gt", "must be greater than {}"), "greater_than_equal": ("ge", "must be at least {}"),
           "less_than": ("lt", "must be less than {}"), "less_than_equal": ("le", "must be at most {}")}
_CHAR_CLASS = re.compile(r"^\^\[([^\]]+)\](?:\[([^\]]+)\]\*|\{(\d+),(\d+)\})\$$")


def _chars(cls: str) -> str:
    """``A-Za-z0-9._-`` as words: "letters, digits and . _ -"."""
    words = []
    for span, word in (("A-Za-z", "letters"), ("0-9", "digits")):
        if span in cls:
            words.append(word)
            cls = cls.replace(span, "")
    extra = " ".join(cls.replace("\\", ""))
    return ", ".join(words) + (f" and {extra}" if extra else "")


def _pattern_words(pattern: str) -> str:
    """What a name pattern allows, in words (pydantic would print the regular expression)."""
    m = _CHAR_CLASS.match(pattern)
    if m is None:
        return "has characters that are not allowed here"
    first, rest, lo, hi = m.groups()
    if rest is not None:
        return f"must start with a letter or digit and use only {_chars(rest)} (no spaces)" if first == "A-Za-z0-9" \
            else f"must start with one of {_chars(first)} and use only {_chars(rest)}"
    return f"must be {lo} to {hi} of: {_chars(first)}"


def _plain(err: Any) -> str:
    """One pydantic error in a person's words: what is allowed, never pydantic's phrasing."""
    kind, ctx, msg = err["type"], err.get("ctx") or {}, str(err["msg"])
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return words.format(ctx.get(key))
    if kind == "string_pattern_mismatch":
        return _pattern_words(str(ctx.get("pattern", "")))
    if kind in {"literal_error", "enum"}:
        return f"must be {ctx.get('expected', 'one of the allowed values')}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"needs at least {n} items"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} items"
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg.replace("Input should be", "must be").replace("Input should", "must")


def _allowed_keys(root: type[BaseModel] | None, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at ``loc`` (the unknown key's parent) accepts, for "did you mean"."""
    node: Any = root
    for item in loc:
        if isinstance(item, int):
            continue
        model = _model_of(node)
        if model is None or item not in model.model_fields:
            return []
        node = model.model_fields[item].annotation
    model = _model_of(node)
    return list(model.model_fields) if model is not None else []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``X | None``, ``list[X]``, ``Annotated[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


_OWN_FIELD = re.compile(r"^`([A-Za-z_][\w.]*)`: ")
"""A model validator's message that starts with its field (``"`reference`: ..."``) is placed there."""


def explain_validation(path: Path, exc: ValidationError, data: Any,
                       root: type[BaseModel] | None = None) -> SuiteError:
    """Turn pydantic's error list into one readable paragraph naming file, field and fix.

    Each field path is printed once; ``root`` (the model validated) lets an unknown key get a
    "did you mean" from the keys allowed at its place.
    """
    problems: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        msg = _plain(err)
        own = _OWN_FIELD.match(msg)
        if own:
            loc, msg = loc + tuple(own.group(1).split(".")), msg[own.end():]
        if err["type"] == "extra_forbidden":
            suggestion = did_you_mean(loc[-1], _allowed_keys(root, loc[:-1]))
            msg = f"is not a known key here, {suggestion}" if suggestion else \
                "is not a known key here (check its spelling against the annotated suite in the README)"
        secret = bool({"api_key_env", "base_url", "base_urls"} & set(map(str, loc)))  # keys, URLs with keys
        if err["type"] not in {"missing", "extra_forbidden"} and "input" in err and not secret \
                and not isinstance(err["input"], dict | list):
            msg += f" (got {json.dumps(err['input'], default=str)[:80]})"
        if err["type"] in {"literal_error", "enum"} and isinstance(err.get("input"), str):
            suggestion = did_you_mean(err["input"], re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected"))))
            msg += f", {suggestion}" if suggestion else ""
        problems.append((_field_path(loc, data), msg))
    hint = "Fix the field(s) named above; `judgebench run --help` and the README show a complete suite file."
    if len(problems) == 1:
        field, msg = problems[0]
        return SuiteError(path, None if field == "(top level)" else field, msg, hint)
    error = SuiteError(path, None, "; ".join(f"`{f}` {m}" if m.startswith("is ") else f"`{f}`: {m}"
                                             for f, m in problems), hint)
    error.field = problems[0][0]
    return error


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
        raise explain_validation(p, e, data, Suite) from None
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
