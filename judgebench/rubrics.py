"""Rubrics: a Jinja2 template (rendered in a sandbox) plus the protocol that reads its verdicts.

A template names its protocol in its first line, ``{# protocol: pairwise #}``; the suite's
``judge.protocol`` overrides it. Templates render in a bounded, immutable sandbox
(:mod:`judgebench.sandbox`) with ``StrictUndefined`` and no loader, so they cannot reach Python
internals, include files, use a variable that does not exist, or run without limit. A suite may
only name a regular ``.j2`` file inside its own folder tree, or a packaged rubric.
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

from judgebench import sandbox
from judgebench.errors import TemplateError
from judgebench.hashing import content_hash
from judgebench.paths import UnsafePath, contained, read_regular, require_regular
from judgebench.protocols import Protocol, get_protocol

MAX_TEMPLATE_BYTES = 1 << 20
"""A rubric is a page of text; a bigger file is a mistake (or an attempt to read something else)."""

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


def _clause(text: object) -> str:
    """An error text ready to end a sentence (no doubled full stop)."""
    return str(text).rstrip(". ")


def _environment() -> sandbox.BoundedSandbox:
    return sandbox.BoundedSandbox(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)


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
            return sandbox.render(_compiled(self.source), variables, sandbox.limit_for(variables))
        except sandbox.RenderLimit as e:
            raise TemplateError(
                f"Rubric template {self.path} was stopped by the sandbox's limits: {_clause(e)}.",
                "Templates may format their variables; they cannot build huge values or loop without end.",
            ) from None
        except jinja2.UndefinedError as e:
            raise TemplateError(
                f"Rubric template {self.path} uses an undefined variable: {_clause(e.message)}.",
                f"Available variables: {', '.join(sorted(self.variables))}.",
            ) from None
        except jinja2.exceptions.SecurityError as e:
            raise TemplateError(
                f"Rubric template {self.path} was refused by the sandbox: {_clause(e)}.",
                "Templates may only format the variables they are given; no attribute tricks, no file access.",
            ) from None
        except (jinja2.TemplateError, TypeError) as e:
            raise TemplateError(
                f"Rubric template {self.path} failed to render: {_clause(e)}.",
                "Templates cannot include or import other files; keep the rubric in one file.",
            ) from None
        except RecursionError:
            raise TemplateError(f"Rubric template {self.path} recursed too deeply (a macro calling itself).",
                                "Remove the recursion; a rubric only needs to format its variables.") from None
        except MemoryError:
            raise TemplateError(f"Rubric template {self.path} ran out of memory while rendering.",
                                "Templates cannot build huge values; format the variables only.") from None
        except Exception as e:  # noqa: BLE001 -- any error of template code is the template's: 1/0, int('x'), ...
            raise TemplateError(
                f"Rubric template {self.path} failed to render: {type(e).__name__}: {_clause(str(e)[:200])}.",
                "Fix the expression named above (the template's own code raised it).",
            ) from None


def resolve_path(spec: str, suite_dir: Path | None) -> Path:
    """A rubric name (``pairwise`` -> prompts/pairwise.j2) or a path relative to the suite.

    With a ``suite_dir`` (the rubric comes from a suite file, maybe from a pull request) the path
    must be a ``.j2`` file whose real location is inside the suite's folder tree or the packaged
    rubrics; ``/proc/self/environ``, ``../../secret.j2`` or a symlink out of the tree are refused.
    Without one (``judgebench rubric check FILE``: the user's own command line) any file is read.
    """
    candidates: list[Path] = []
    as_path = Path(spec).expanduser()
    if as_path.suffix or "/" in spec:
        candidates.append(as_path if as_path.is_absolute() else (suite_dir or Path.cwd()) / as_path)
    else:
        if suite_dir is not None:
            candidates.append(suite_dir / "prompts" / f"{spec}.j2")
        candidates.append(BUILTIN_DIR / f"{spec}.j2")
    builtins = sorted(p.stem for p in BUILTIN_DIR.glob("*.j2"))
    hint = (f"Use a built-in rubric ({', '.join(builtins)}) or a .j2 template inside the suite's folder, "
            "named relative to the suite file.")
    for c in candidates:
        if not (c.exists() or c.is_symlink()):
            continue
        if suite_dir is None:
            return c
        if c.suffix != ".j2":
            raise TemplateError(f"Rubric {spec!r} is not a .j2 template.", hint)
        try:
            real = contained(c, [suite_dir, BUILTIN_DIR])
            require_regular(real)
            return real
        except UnsafePath as e:
            raise TemplateError(f"Rubric {spec!r} {e.problem}.", hint) from None
    raise TemplateError(f"Unknown rubric {spec!r} (looked for {', '.join(str(c) for c in candidates)}).", hint)


def load_rubric(spec: str, protocol: str | None = None, suite_dir: Path | None = None) -> Rubric:
    """Read, parse and check a rubric (syntax and variables); raises TemplateError."""
    path = resolve_path(spec, suite_dir)
    try:
        source = read_regular(path, MAX_TEMPLATE_BYTES).decode("utf-8")
    except UnsafePath as e:
        raise TemplateError(f"Cannot read rubric template {path}: it {e.problem}.",
                            "Pass a regular .j2 text file.") from None
    except UnicodeDecodeError as e:
        raise TemplateError(f"Cannot read rubric template {path}: it is not UTF-8 (bad byte at offset {e.start}).",
                            "Save it as UTF-8 text.") from None
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
    try:
        used = meta.find_undeclared_variables(ast)
    except jinja2.TemplateError as e:  # an unknown filter or test, found while compiling
        raise TemplateError(
            f"Rubric template {rubric.path} does not compile: {_clause(e.message)}.",
            "Use only Jinja2's built-in filters and tests (https://jinja.palletsprojects.com/templates/).",
        ) from None
    unknown = sorted(used - rubric.variables)
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
    missing = missing_responses(rubric, used)
    if missing:
        raise TemplateError(
            f"Rubric template {rubric.path} never shows the judge {missing}, so its verdicts cannot "
            "depend on the answers.",
            f"Use {{{{ {missing.split(' ')[0]} }}}} in the template (a {rubric.protocol.kind} rubric can use: "
            f"{', '.join(sorted(rubric.variables))}).",
        )


def missing_responses(rubric: Rubric, used: set[str]) -> str | None:
    """Which answer the template never shows (``response_a``/``conversation_a`` ...), if any."""
    if rubric.protocol.kind == "pairwise":
        for side in ("a", "b"):
            if not used & {f"response_{side}", f"conversation_{side}"}:
                return f"response_{side} (or conversation_{side})"
        return None
    return None if used & {"response", "conversation"} else "response (or conversation)"


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
