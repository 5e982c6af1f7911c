"""Rubrics: a Jinja2 template (rendered in a sandbox) plus the protocol that reads its verdicts.

A template names its protocol in its first line, ``{# protocol: pairwise #}``; the suite's
``judge.protocol`` overrides it. Templates render in a ``SandboxedEnvironment`` with
``StrictUndefined`` and no loader, so they cannot reach Python internals, include files or use a
variable that does not exist.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from judgebench.errors import TemplateError
from judgebench.hashing import content_hash
from judgebench.protocols import Protocol, get_protocol

BUILTIN_DIR = Path(str(files("judgebench") / "rubric_templates")).resolve()
"""The built-in templates, shipped in the package. ``judgebench/rubric_templates`` is a link to the
repository's ``prompts/`` folder (the copy users read and copy from), so the two cannot drift; a
wheel carries the files themselves."""

_HEADER = re.compile(r"\{#-?\s*protocol:\s*([A-Za-z0-9_.-]+)\s*-?#\}")

PAIRWISE_VARIABLES = frozenset(
    {"prompt", "turns", "category", "reference_answer", "response_a", "response_b",
     "conversation_a", "conversation_b", "multi_turn"}
)
SINGLE_VARIABLES = frozenset(
    {"prompt", "turns", "category", "reference_answer", "response", "conversation", "multi_turn"}
)


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


@functools.lru_cache(maxsize=16)
def _compiled(source: str) -> jinja2.Template:
    """Compile a template once per run (compiling it per judgment cost ~3 ms each)."""
    return _environment().from_string(source)


@dataclass(frozen=True)
class Rubric:
    name: str
    path: Path
    source: str
    protocol: Protocol

    @functools.cached_property
    def hash(self) -> str:
        """Changes whenever the text the judge sees or the way verdicts are read changes."""
        return content_hash({"template": self.source, "protocol": self.protocol.name,
                             "schema": self.protocol.schema()}, 16)

    @property
    def variables(self) -> frozenset[str]:
        return PAIRWISE_VARIABLES if self.protocol.kind == "pairwise" else SINGLE_VARIABLES

    def render(self, **variables: Any) -> str:
        try:
            return _compiled(self.source).render(**variables)
        except jinja2.UndefinedError as e:
            raise TemplateError(
                f"Rubric template {self.path} uses an undefined variable: {e.message}.",
                f"Available variables: {', '.join(sorted(self.variables))}.",
            ) from None
        except jinja2.exceptions.SecurityError as e:
            raise TemplateError(
                f"Rubric template {self.path} was refused by the sandbox: {e}.",
                "Templates may only format the variables they are given; no attribute tricks, no file access.",
            ) from None
        except (jinja2.TemplateError, TypeError) as e:
            raise TemplateError(
                f"Rubric template {self.path} failed to render: {e}.",
                "Templates cannot include or import other files; keep the rubric in one file.",
            ) from None


def resolve_path(spec: str, suite_dir: Path | None) -> Path:
    """A rubric name (``pairwise`` -> prompts/pairwise.j2) or a path relative to the suite."""
    candidates: list[Path] = []
    as_path = Path(spec).expanduser()
    if as_path.suffix or "/" in spec:
        candidates.append(as_path if as_path.is_absolute() else (suite_dir or Path.cwd()) / as_path)
    else:
        if suite_dir is not None:
            candidates.append(suite_dir / "prompts" / f"{spec}.j2")
        candidates.append(BUILTIN_DIR / f"{spec}.j2")
    for c in candidates:
        if c.is_file():
            return c
    builtins = sorted(p.stem for p in BUILTIN_DIR.glob("*.j2"))
    raise TemplateError(
        f"Unknown rubric {spec!r} (looked for {', '.join(str(c) for c in candidates)}).",
        f"Use a built-in rubric ({', '.join(builtins)}) or a path to a .j2 template relative to the suite file.",
    )


def load_rubric(spec: str, protocol: str | None = None, suite_dir: Path | None = None) -> Rubric:
    """Read, parse and check a rubric (syntax and variables); raises TemplateError."""
    path = resolve_path(spec, suite_dir)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError(f"Cannot read rubric template {path}: {e}.", "Save it as UTF-8 text.") from None
    header = _HEADER.search(source.split("\n", 1)[0])
    name = protocol or (header.group(1) if header else "pairwise")
    rubric = Rubric(name=path.stem, path=path, source=source, protocol=get_protocol(name))
    check(rubric)
    return rubric


def check(rubric: Rubric) -> None:
    """Static checks: the template parses and uses only variables the protocol provides."""
    env = _environment()
    try:
        ast = env.parse(rubric.source)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(
            f"Rubric template {rubric.path} has a syntax error at line {e.lineno}: {e.message}.",
            "Fix the Jinja2 syntax ({{ variable }}, {% if %}...{% endif %}).",
        ) from None
    unknown = sorted(meta.find_undeclared_variables(ast) - rubric.variables)
    if unknown:
        raise TemplateError(
            f"Rubric template {rubric.path} uses undefined variable(s): {', '.join(unknown)}.",
            f"A {rubric.protocol.kind} rubric can use: {', '.join(sorted(rubric.variables))}.",
        )
    if list(meta.find_referenced_templates(ast)):
        raise TemplateError(
            f"Rubric template {rubric.path} includes or imports another template.",
            "Templates cannot read files; keep the rubric in one file.",
        )
    rubric.render(**sample_variables(rubric))


def sample_variables(rubric: Rubric) -> dict[str, Any]:
    """Harmless values for every variable, used to test-render a template."""
    conv = [{"user": "Example question?", "assistant": "Example answer."}]
    base: dict[str, Any] = {
        "prompt": "Example question?", "turns": ["Example question?"], "category": "example",
        "reference_answer": "Example reference answer.", "multi_turn": False,
    }
    if rubric.protocol.kind == "pairwise":
        base |= {"response_a": "Answer A.", "response_b": "Answer B.", "conversation_a": conv, "conversation_b": conv}
    else:
        base |= {"response": "Answer.", "conversation": conv}
    return base
