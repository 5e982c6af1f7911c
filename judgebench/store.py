"""The run store: SQLite in WAL mode, rows addressed by content keys.

Every result is committed the moment it arrives, so a killed run loses nothing it received.
An ``ok`` row is never overwritten; error and parse-failure rows are replaced by later attempts
(their ``attempts`` counter grows), which is how reruns retry exactly what failed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebench.errors import ForeignStore, StoreError
from judgebench.hashing import content_hash
from judgebench.store_schema import MIGRATIONS as _MIGRATIONS
from judgebench.store_schema import SCHEMA_VERSION

# sqlite3 primary result codes that mean "this store cannot be used as it is".
_STORE_CODES = {
    8: "the store is read-only",
    10: "a disk I/O error occurred",
    11: "the store file is corrupt",
    13: "the disk is full",
    14: "the store file cannot be opened",
    26: "the file is not a judgebench store (not an SQLite database)",
}


def _store_error(path: Path, exc: sqlite3.Error, reading: bool = False) -> StoreError:
    code = getattr(exc, "sqlite_errorcode", None)
    what = _STORE_CODES.get((code or 0) & 0xFF, str(exc))
    if reading:
        return StoreError(f"Cannot read the store {path}: {what}.",
                          "Run `sqlite3 STORE 'PRAGMA integrity_check'`; pass --store PATH to start a new store.")
    if (code or 0) & 0xFF in (8, 14) and not os.access(path.parent, os.W_OK):
        # WAL needs its -wal/-shm files beside the store, so a read-only folder fails at open.
        what = "its folder is read-only (a read-only file system or mount, or no write permission)"
    return StoreError(
        f"Cannot write the store {path}: {what}.",
        "Results received before this point are kept. Free disk space or fix the file's permissions "
        "(or pass --store PATH to use another file), then rerun: only what is missing is requested.",
    )


@dataclass(frozen=True)
class ResponseRow:
    key: str
    status: str
    text: str | None
    prompt_tokens: int
    completion_tokens: int
    error: str | None
    attempts: int
    info: dict[str, Any]


@dataclass(frozen=True)
class JudgmentRow:
    key: str
    status: str
    label: str | None
    preference: float | None
    score: float | None
    reasoning: str | None
    raw: str | None
    prompt_tokens: int
    completion_tokens: int
    error: str | None
    attempts: int
    info: dict[str, Any]


class Store:
    """A handle on one store file. Cheap to open; safe to share between processes (WAL)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout = 60000")
            self._check_ours()
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.Error as e:
            raise _store_error(self.path, e) from None
        except OSError as e:
            raise StoreError(
                f"Cannot create the store {self.path}: {e.strerror}.",
                "Pass --store PATH to a writable location.",
            ) from None

    def _check_ours(self) -> None:
        """Refuse, before anything is written, a file that is another program's database.

        An empty (new) database is ours to set up; one with tables must have judgebench's ``meta``
        table with a schema version, or nothing -- not even the WAL switch -- touches it.
        """
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return
        version = None
        if "meta" in tables:
            try:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = row[0] if row else None
            except sqlite3.OperationalError:  # a `meta` table of someone else's shape
                version = None
        if version is None or not str(version).isdigit():
            shown = ", ".join(sorted(tables)[:5]) + (" ..." if len(tables) > 5 else "")
            raise ForeignStore(
                f"The file {self.path} is an SQLite database, but not a judgebench store (its tables: {shown}); "
                "it was left untouched.",
                "Pass --store with a judgebench store, or a path where a new one can be created.",
            )

    def _migrate(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        current = int(row[0]) if row else 0
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"The store {self.path} was written by a newer judgebench (schema {current}).",
                "Upgrade judgebench, or use another --store.",
            )
        for version in range(current, SCHEMA_VERSION):
            with self._tx():
                for stmt in filter(str.strip, _MIGRATIONS[version].split(";")):
                    self._db.execute(stmt)
                self._db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version + 1),)
                )

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ------------------------------------------------------------------------------

    def put_response(
        self,
        key: str,
        *,
        status: str,
        text: str | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        error: str | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        """Record a response; an existing ``ok`` row is never replaced."""
        self._write(
            """
            INSERT INTO responses (key, status, text, prompt_tokens, completion_tokens, error, created_at, info)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET
                status = excluded.status, text = excluded.text, prompt_tokens = excluded.prompt_tokens,
                completion_tokens = excluded.completion_tokens, error = excluded.error,
                created_at = excluded.created_at, info = excluded.info, attempts = responses.attempts + 1
            WHERE responses.status != 'ok'
            """,
            (key, status, text, prompt_tokens, completion_tokens, error, time.time(), json.dumps(info or {})),
        )

    def put_judgment(
        self,
        key: str,
        *,
        status: str,
        label: str | None = None,
        preference: float | None = None,
        score: float | None = None,
        reasoning: str | None = None,
        raw: str | None = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        error: str | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        """Record a judgment; an existing ``ok`` row is never replaced."""
        self._write(
            """
            INSERT INTO judgments (key, status, label, preference, score, reasoning, raw, prompt_tokens,
                                   completion_tokens, error, created_at, info)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(key) DO UPDATE SET
                status = excluded.status, label = excluded.label, preference = excluded.preference,
                score = excluded.score, reasoning = excluded.reasoning, raw = excluded.raw,
                prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                error = excluded.error, created_at = excluded.created_at, info = excluded.info,
                attempts = judgments.attempts + 1
            WHERE judgments.status != 'ok'
            """,
            (
                key, status, label, preference, score, reasoning, raw, prompt_tokens, completion_tokens,
                error, time.time(), json.dumps(info or {}),
            ),
        )

    def put_judgments_bulk(self, rows: Iterable[dict[str, Any]]) -> None:
        """Many judgments in one transaction (imports)."""
        with self._tx_guarded():
            for r in rows:
                self._db.execute(
                    """INSERT OR IGNORE INTO judgments (key, status, label, preference, score, reasoning, raw,
                           created_at, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (r["key"], r["status"], r.get("label"), r.get("preference"), r.get("score"),
                     r.get("reasoning"), r.get("raw"), time.time(), json.dumps(r.get("info") or {})),
                )

    def put_responses_bulk(self, rows: Iterable[dict[str, Any]]) -> None:
        """Many responses in one transaction (imports)."""
        with self._tx_guarded():
            for r in rows:
                self._db.execute(
                    "INSERT OR IGNORE INTO responses (key, status, text, created_at, info) VALUES (?, 'ok', ?, ?, ?)",
                    (r["key"], r["text"], time.time(), json.dumps(r.get("info") or {})),
                )

    def save_suite(self, name: str, config: dict[str, Any], prompts: list[dict[str, Any]]) -> None:
        """Remember a suite's resolved config and prompts so reports work from the store alone."""
        self._write(
            "INSERT OR REPLACE INTO suites (name, config, prompts, updated_at) VALUES (?, ?, ?, ?)",
            (name, json.dumps(config, default=str), json.dumps(prompts), time.time()),
        )

    def record_manifest(self, suite: str, model: str, manifest: dict[str, Any]) -> str:
        """Remember that ``model`` of ``suite`` was judged under ``manifest``; returns its hash.

        Every manifest a model was ever judged under is kept (``last_at`` says when it was last
        used), so the gate can tell which judge, rubric and prompt set stored results came from.
        """
        digest = content_hash(manifest, 16)
        now = time.time()
        self._write(
            """INSERT INTO judging_manifests (suite, model, hash, manifest, first_at, last_at)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(suite, model, hash) DO UPDATE SET last_at = excluded.last_at""",
            (suite, model, digest, json.dumps(manifest, sort_keys=True, default=str), now, now),
        )
        return digest

    @contextmanager
    def _tx_guarded(self) -> Iterator[None]:
        try:
            with self._tx():
                yield
        except sqlite3.Error as e:
            raise _store_error(self.path, e) from None

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        try:
            self._db.execute(sql, params)
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError):
            raise  # a value that cannot be stored: that row's problem (the engine records an error), not the store's
        except sqlite3.Error as e:
            raise _store_error(self.path, e) from None

    # -- reads -------------------------------------------------------------------------------

    def _select_in(self, table: str, keys: list[str], columns: str = "*") -> Iterator[sqlite3.Row]:
        self._db.row_factory = sqlite3.Row
        try:
            for i in range(0, len(keys), 900):
                chunk = keys[i : i + 900]
                marks = ",".join("?" * len(chunk))
                yield from self._db.execute(f"SELECT {columns} FROM {table} WHERE key IN ({marks})", chunk)
        except sqlite3.Error as e:
            raise _store_error(self.path, e, reading=True) from None
        finally:
            self._db.row_factory = None

    def responses(self, keys: Iterable[str]) -> dict[str, ResponseRow]:
        out: dict[str, ResponseRow] = {}
        with self._reading():
            found = list(self._select_in("responses", list(dict.fromkeys(keys))))
        for r in found:
            out[r["key"]] = ResponseRow(
                r["key"], r["status"], r["text"], r["prompt_tokens"], r["completion_tokens"], r["error"],
                r["attempts"], self._info(r["info"]),
            )
        return out

    def judgments(self, keys: Iterable[str]) -> dict[str, JudgmentRow]:
        out: dict[str, JudgmentRow] = {}
        with self._reading():
            found = list(self._select_in("judgments", list(dict.fromkeys(keys))))
        for r in found:
            out[r["key"]] = JudgmentRow(
                r["key"], r["status"], r["label"], r["preference"], r["score"], r["reasoning"], r["raw"],
                r["prompt_tokens"], r["completion_tokens"], r["error"], r["attempts"], self._info(r["info"]),
            )
        return out

    def statuses(self, table: str, keys: Iterable[str]) -> dict[str, tuple[str, int]]:
        """(status, attempts) of each stored key of ``responses`` or ``judgments``: what planning
        needs to know, without reading the texts."""
        if table not in ("responses", "judgments"):
            raise ValueError(f"no table {table!r}")
        return {r["key"]: (r["status"], r["attempts"])
                for r in list(self._select_in(table, list(dict.fromkeys(keys)), "key, status, attempts"))}

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Reads of a damaged store (bad pages, hand-edited JSON) raise StoreError, not a traceback."""
        try:
            yield
        except sqlite3.Error as e:
            raise _store_error(self.path, e, reading=True) from None
        except (ValueError, TypeError, KeyError) as e:  # JSON columns that do not parse
            raise StoreError(
                f"Cannot read the store {self.path}: a stored row is damaged ({type(e).__name__}).",
                "Run `sqlite3 STORE 'PRAGMA integrity_check'`; pass --store PATH to start a new store.",
            ) from None

    def _info(self, text: Any) -> dict[str, Any]:
        with self._reading():
            info = json.loads(text)
        if not isinstance(info, dict):
            raise StoreError(f"Cannot read the store {self.path}: a stored row's info is damaged.",
                             "Pass --store PATH to start a new store.")
        return info

    def suite(self, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        with self._reading():
            row = self._db.execute("SELECT config, prompts FROM suites WHERE name = ?", (name,)).fetchone()
            return (json.loads(row[0]), json.loads(row[1])) if row else None

    def manifests(self, suite: str, model: str) -> list[dict[str, Any]]:
        """The judging manifests recorded for ``model`` of ``suite``, most recently used first."""
        with self._reading():
            rows = self._db.execute(
                "SELECT manifest FROM judging_manifests WHERE suite = ? AND model = ? "
                "ORDER BY last_at DESC, first_at DESC",
                (suite, model),
            ).fetchall()
            return [json.loads(r[0]) for r in rows]

    def suite_names(self) -> list[str]:
        with self._reading():
            return [r[0] for r in self._db.execute("SELECT name FROM suites ORDER BY name")]

    def counts(self) -> dict[str, int]:
        """Row counts per table and status (tests and diagnostics)."""
        out: dict[str, int] = {}
        with self._reading():
            for table in ("responses", "judgments"):
                for status, n in self._db.execute(f"SELECT status, COUNT(*) FROM {table} GROUP BY status"):
                    out[f"{table}.{status}"] = n
        return out

    def integrity_ok(self) -> bool:
        with self._reading():
            return bool(self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
