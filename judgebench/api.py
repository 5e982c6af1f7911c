"""The Python API for notebooks: read a store as pandas frames, run a suite.

A thin layer over the same code the CLI uses (:mod:`judgebench.report` builds the frames and the
leaderboard, :mod:`judgebench.pipeline` runs the stages), so a notebook and ``judgebench report``
can never disagree. Errors are :mod:`judgebench.errors` classes, as on the command line.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from judgebench.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from judgebench.pipeline import PipelineResult
    from judgebench.prepared import Prepared
    from judgebench.store import Store

__all__ = ["StoreReader", "open_store", "run"]


class StoreReader:
    """Read-only view of one store; a context manager that closes its SQLite connection."""

    def __init__(self, path: str | Path) -> None:
        from judgebench.store import Store

        self.path = Path(path)
        if not self.path.is_file():  # Store() would create an empty one
            raise ConfigError(f"The store {self.path} does not exist.",
                              "Pass the path of a store written by `judgebench run` or `judgebench import`.")
        self._store: Store | None = Store(self.path)

    @property
    def store(self) -> Store:
        if self._store is None:
            raise ConfigError(f"The store {self.path} is closed.", "Open it again with judgebench.open_store().")
        return self._store

    def suites(self) -> list[str]:
        """Names of the suites saved in the store."""
        return self.store.suite_names()

    def _prepared(self, suite: str | Path | None) -> Prepared:
        from judgebench import pipeline

        if suite is None:
            names = self.suites()
            if len(names) != 1:
                raise ConfigError(f"The store {self.path} holds {len(names)} suites ({', '.join(names) or 'none'}).",
                                  "Pass the suite: a suite file or one of those names.")
            return pipeline.from_store(self.store, names[0])
        path = Path(suite)
        if path.suffix in {".yaml", ".yml"} or path.exists():
            if not path.is_file():
                raise ConfigError(f"Suite file {path} does not exist.", "Pass a suite file or a suite name in the store.")
            return pipeline.prepare(path)
        return pipeline.from_store(self.store, str(suite))

    def responses(self, suite: str | Path | None = None) -> pd.DataFrame:
        """One row per planned response (docs/CONTRACTS.md); ``suite`` may be omitted if the store holds one."""
        return self._frames(suite)[1]

    def judgments(self, suite: str | Path | None = None) -> pd.DataFrame:
        """One row per planned judgment (docs/CONTRACTS.md); ``suite`` may be omitted if the store holds one."""
        return self._frames(suite)[0]

    def _frames(self, suite: str | Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        from judgebench.report import frames

        p = self._prepared(suite)
        return frames(p.suite, list(p.prompts), p.rubric, self.store)

    def leaderboard(self, suite: str | Path | None = None) -> pd.DataFrame:
        """The rows of ``leaderboard.json``, as ``judgebench report`` computes them (nothing is written)."""
        return self.board(suite)["rows"]

    def board(self, suite: str | Path | None = None) -> dict[str, Any]:
        """The whole leaderboard document, with ``rows`` as a DataFrame."""
        import pandas as pd

        from judgebench.judge_validation import judge_credentials
        from judgebench.report import build_report

        p = self._prepared(suite)
        board, _ = build_report(p.suite, list(p.prompts), p.rubric, self.store, suite_hash=p.suite_hash,
                                prompts_hash=p.prompts_hash, judge_credentials=judge_credentials(p, self.store))
        return board | {"rows": pd.DataFrame(board["rows"])}

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_store(path: str | Path) -> StoreReader:
    """Open an existing store for reading: ``with judgebench.open_store(p) as s: s.leaderboard("suite")``."""
    return StoreReader(path)


def run(suite_path: str | Path, *, stages: Sequence[str] = ("generate", "judge", "report"),
        store: str | Path | None = None, out: str | Path | None = None, max_requests: int | None = None,
        models: Sequence[str] | None = None) -> PipelineResult:
    """Run a suite file's stages like ``judgebench run`` (a rerun sends only what is not stored)."""
    from judgebench import pipeline

    unknown = [s for s in stages if s not in pipeline.STAGES]
    if unknown or not stages:
        raise ConfigError(f"Unknown stage(s) {unknown or list(stages)!r}.", f"Stages: {', '.join(pipeline.STAGES)}.")
    path = Path(suite_path)
    if not path.is_file():
        raise ConfigError(f"Suite file {path} does not exist.", "Pass the path of a suite YAML file.")
    prepared = pipeline.prepare(path)
    options = pipeline.RunOptions(
        store=Path(store) if store is not None else pipeline.default_store(path),
        leaderboards=Path(out) if out is not None else Path("leaderboards"),
        env=dict(os.environ),
        max_requests=max_requests,
        models=tuple(models) if models else None,
    )
    return pipeline.run(prepared, options, tuple(s for s in pipeline.STAGES if s in stages))
