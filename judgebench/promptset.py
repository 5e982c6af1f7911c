"""Reading a suite's prompt file (JSONL) into Prompt records, with errors that name the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgebench.errors import SuiteError
from judgebench.paths import UnsafePath, contained, read_regular
from judgebench.records import Prompt
from judgebench.suggest import did_you_mean

MAX_PROMPT_CHARS = 200_000
"""A prompt longer than this is almost surely a mistake (a pasted file); no judge context fits it."""

MAX_FILE_BYTES = 256 << 20
"""A prompt file bigger than this is not a prompt set (and would not fit a run's memory anyway)."""

_ALLOWED = {"id", "prompt", "turns", "category", "reference_answer", "question_id", "reference"}


def _bad(path: Path, field: str | None, problem: str, hint: str) -> SuiteError:
    """An error in the prompt file itself, called a prompt file (not a suite file)."""
    return SuiteError(path, field, problem, hint, kind="prompt file")


def load_prompts(path: Path, suite_file: object = None) -> list[Prompt]:
    """Parse ``path``; every problem raises SuiteError naming the file, line and field.

    With ``suite_file`` the prompt file must be a regular file inside the suite's folder tree
    (a suite from a pull request must not read ``/proc/self/environ`` or a FIFO).
    """
    where = suite_file or path
    hint = "`prompts:` is a regular JSONL file inside the suite's folder, named relative to the suite file."
    try:
        if suite_file is not None:
            path = contained(path, [Path(str(suite_file)).parent])
        raw = read_regular(path, MAX_FILE_BYTES)
    except UnsafePath as e:
        if e.problem == "does not exist":
            raise SuiteError(where, "prompts", f"the prompt file {path} does not exist", hint) from None
        if "folder" in e.problem and "outside" not in e.problem:
            raise SuiteError(where, "prompts", f"{path} is a folder, not a JSONL file", hint) from None
        raise SuiteError(where, "prompts", f"the prompt file {path} {e.problem}", hint) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise _bad(path, f"line {line}", f"is not UTF-8 (bad byte at offset {e.start})",
                         "Save the prompt file as UTF-8.") from None
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for lineno, text_line in enumerate(text.splitlines(), 1):
        if not text_line.strip():
            continue
        try:
            row = json.loads(text_line)
        except json.JSONDecodeError as e:
            raise _bad(path, f"line {lineno}", f"is not valid JSON ({e.msg})",
                             'Each line is one JSON object like {"id": "p1", "prompt": "..."}.') from None
        prompt = _prompt(path, lineno, row)
        if prompt.id in seen:
            raise _bad(path, f"line {lineno}, key `id`", f"duplicate prompt id {prompt.id!r} (first on line {seen[prompt.id]})",
                             "Give every prompt a unique id.")
        seen[prompt.id] = lineno
        prompts.append(prompt)
    if not prompts:
        raise _bad(path, None, "contains no prompts", 'Add one JSON object per line: {"id": ..., "prompt": ...}.')
    return prompts


def _prompt(path: Path, lineno: int, row: Any) -> Prompt:
    here = f"line {lineno}"
    if not isinstance(row, dict):
        raise _bad(path, here, "must be a JSON object", 'Use {"id": "p1", "prompt": "..."}.')
    unknown = sorted(set(row) - _ALLOWED)
    if unknown:
        raise _bad(path, f"{here}, key `{unknown[0]}`",
                   ", ".join(filter(None, ("is not a known key", did_you_mean(unknown[0], sorted(_ALLOWED))))),
                   "Allowed keys: id, prompt or turns, category, reference_answer.")
    pid = row.get("id", row.get("question_id"))
    if pid is None or (isinstance(pid, str) and not pid.strip()) or isinstance(pid, bool | list | dict):
        raise _bad(path, f"{here}, key `id`", "missing or empty", "Every prompt needs an id (a string or number).")
    if "prompt" in row and "turns" in row:
        raise _bad(path, f"{here}, key `prompt`", "give either `prompt` or `turns`, not both",
                         "Keep `prompt` for one turn, or `turns` (a list) for a conversation.")
    turns_raw = [row["prompt"]] if "prompt" in row else row.get("turns")
    if not isinstance(turns_raw, list) or not turns_raw:
        raise _bad(path, f"{here}, key `prompt`", "missing: each row needs `prompt` (a string) or `turns` (a list)",
                         'Use {"id": "p1", "prompt": "..."} or {"id": "p1", "turns": ["...", "..."]}.')
    for t in turns_raw:
        if not isinstance(t, str):
            raise _bad(path, f"{here}, key `prompt`", f"must be text, got {type(t).__name__}",
                             'Quote it: {"id": "p1", "prompt": "..."}.')
        if not t.strip():
            raise _bad(path, f"{here}, key `prompt`", "is empty", "Remove the row or write the prompt.")
        if len(t) > MAX_PROMPT_CHARS:
            raise _bad(path, f"{here}, key `prompt`", f"is {len(t):,} characters (limit {MAX_PROMPT_CHARS:,})",
                             "Shorten it; no judge's context window holds a prompt this long.")
    category = row.get("category") or ""
    if not isinstance(category, str):
        raise _bad(path, f"{here}, key `category`", "must be a string", 'Quote it, e.g. "category": "math".')
    ref = row.get("reference_answer", row.get("reference"))
    if isinstance(ref, list):
        ref = "\n\n".join(str(r) for r in ref)
    if ref is not None and not isinstance(ref, str):
        raise _bad(path, f"{here}, key `reference_answer`", "must be a string",
                         "Write the reference answer as text (a list of strings is joined).")
    return Prompt(id=str(pid), turns=tuple(turns_raw), category=category, reference_answer=ref)
