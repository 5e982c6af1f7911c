"""The exception tree: every error a user can meet, with a message, a hint and an exit code.

The CLI is the one error boundary: it catches :class:`JudgebenchError`, prints ``message`` and
``hint`` as one paragraph (a traceback only with ``--debug``) and exits with ``exit_code``.

Exit codes (documented in the README and ``judgebench --help``):

* 0 -- success (for ``gate``: the checkpoint passed)
* 1 -- the run failed: some requests ended as errors (for ``gate``: a regression or a limit)
* 2 -- bad usage or configuration: a wrong suite file, flag, template or missing dependency
* 3 -- the run could not complete: an endpoint is down, a vLLM server failed, the store cannot
  be written, or a budget stopped the run

Tree::

    JudgebenchError
    ├── ConfigError            (2) suite files, prompt files, flags, rubric templates
    │   ├── SuiteError         (2) names the file and the field path
    │   ├── TemplateError      (2) a rubric template that does not render or is unsafe
    │   └── DependencyMissing  (2) an optional dependency (vLLM) is not installed
    ├── RunFailed              (1) requests ended as error records
    └── RunIncomplete          (3) the pipeline could not finish
        ├── EndpointUnavailable(3) connection refused / DNS / repeated timeouts
        ├── ServerError        (3) a vLLM server that died or never became healthy
        ├── StoreError         (3) the SQLite store is read-only, full or corrupt
        │   └── ForeignStore   (2) --store names another program's SQLite database (left untouched)
        └── BudgetExceeded     (3) --max-requests / --max-cost reached; rerun continues
"""

from __future__ import annotations


class JudgebenchError(Exception):
    """Base of every user-facing error."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """One paragraph: what is wrong, then how to fix it."""
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class ConfigError(JudgebenchError):
    """Something the user wrote or typed is wrong; nothing was run or written."""

    exit_code = 2


class SuiteError(ConfigError):
    """A suite, prompt or pairs file is invalid; the message names the file (by its kind: a prompt
    file is never called a suite file), the field or line, and the fix."""

    def __init__(self, path: object, field: str | None, problem: str, hint: str | None = None,
                 kind: str = "suite file") -> None:
        where = f"{path}"
        if field:
            where += f", {field}" if field.startswith("line ") else f", field `{field}`"
        super().__init__(f"Invalid {kind} {where}: {problem}", hint)
        self.path = path
        self.field = field


class TemplateError(ConfigError):
    """A rubric template that fails to parse, uses undefined variables or breaks the sandbox."""


class DependencyMissing(ConfigError):
    """An optional dependency is missing; the hint names the exact install command."""


class RunFailed(JudgebenchError):
    """The stages ran, but some requests ended as error records (kept; a rerun retries them)."""

    exit_code = 1


class RunIncomplete(JudgebenchError):
    """The pipeline stopped before finishing. Everything received so far is stored."""

    exit_code = 3


class EndpointUnavailable(RunIncomplete):
    """An endpoint could not be reached after retries."""


class ServerError(RunIncomplete):
    """A vLLM server judgebench started died or never became healthy."""


class StoreError(RunIncomplete):
    """The store cannot be opened or written (read-only, disk full, corrupt)."""


class ForeignStore(StoreError):
    """The store path holds an SQLite database that is not judgebench's: a wrong flag (exit 2)."""

    exit_code = 2


class BudgetExceeded(RunIncomplete):
    """A request or cost budget stopped the run cleanly; the next run continues."""
