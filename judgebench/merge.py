"""Merge judgebench stores: the union of their rows by content key, refusing contradictions.

Keys are content hashes, so a row means the same thing in every store: the result of one exact
request. Merging is therefore a union with three rules, the store's own:

* an ``ok`` row beats an error or parse failure; of two failures the later one is kept (with the
  larger ``attempts``, so a rerun never retries less than either store would have);
* two ``ok`` rows for one key must hold the same result; if they differ (sampling at a
  temperature above 0 on both machines, or a different checkpoint behind one name) the merge is
  refused before anything is written, naming the rows, unless ``keep_first`` says which wins;
* a suite saved in both stores keeps the most recently saved version, as a rerun would.

The inputs are opened read-only and never changed. The destination is written in one
transaction: a failed merge leaves it as it was (and creates no file).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from judgebench.errors import ConfigError, StoreError
from judgebench.store import SCHEMA_VERSION, Store

_SQLITE_HEADER = b"SQLite format 3\x00"
_REQUIRED_TABLES = ("meta", "responses", "judgments", "suites")
_RESULT_TABLES = ("responses", "judgments")
_CHUNK = 500
_SHOWN_CONFLICTS = 5


class MergeConflict(ConfigError):
    """Two stores hold different ``ok`` results under one content key (exit code 2: bad input)."""


@dataclass(frozen=True)
class Conflict:
    table: str
    key: str
    first: Path
    second: Path
    first_text: str
    second_text: str
    where: str


@dataclass
class MergeSummary:
    into: Path
    sources: list[Path]
    added: dict[str, int] = field(default_factory=dict)
    """Rows inserted or upgraded (error -> ok) in the destination, per table."""
    unchanged: dict[str, int] = field(default_factory=dict)
    """Source rows the destination already had (or had better)."""
    conflicts_kept_first: int = 0
    suites: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        parts = [f"Merged {len(self.sources)} store(s) into {self.into}:"]
        for table in _RESULT_TABLES:
            parts.append(f"  {table}: {self.added.get(table, 0)} added, {self.unchanged.get(table, 0)} already there")
        if self.suites:
            parts.append(f"  suites: {', '.join(self.suites)}")
        if self.conflicts_kept_first:
            parts.append(f"  {self.conflicts_kept_first} conflicting row(s): the first store's result was kept")
        parts += [f"  note: {n}" for n in self.notes]
        return "\n".join(parts)


def _connect_ro(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=60.0)
    db.execute("PRAGMA busy_timeout = 60000")
    return db


def check_store(path: Path, role: str) -> None:
    """Raise ConfigError unless ``path`` is a judgebench store this version can read."""
    hint = "Pass the store files that `judgebench run` wrote (by default .judgebench/store.sqlite beside the suite)."
    if not path.exists():
        raise ConfigError(f"{role} {path} does not exist.", hint)
    if not path.is_file():
        raise ConfigError(f"{role} {path} is not a file.", hint)
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as e:
        raise ConfigError(f"{role} {path} cannot be read ({e.strerror}).", "Check the file's permissions.") from None
    if header != _SQLITE_HEADER:
        raise ConfigError(f"{role} {path} is not a judgebench store (not an SQLite database).", hint)
    try:
        db = _connect_ro(path)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [t for t in _REQUIRED_TABLES if t not in tables]
            version = None
            if "meta" in tables:
                row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row and str(row[0]).isdigit() else None
        finally:
            db.close()
    except sqlite3.Error as e:
        raise ConfigError(f"{role} {path} cannot be read as a store ({e}).", hint) from None
    if missing or version is None:
        what = f"it has no {', '.join(missing)} table(s)" if missing else "it has no schema version"
        raise ConfigError(f"{role} {path} is an SQLite database but not a judgebench store ({what}).", hint)
    if version > SCHEMA_VERSION:
        raise ConfigError(f"{role} {path} was written by a newer judgebench (schema {version}).",
                          "Upgrade judgebench, then merge again.")


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def _signature(table: str, row: sqlite3.Row) -> tuple[str, str]:
    """(digest, short text) of what an ``ok`` row says; the digest decides conflicts."""
    if table == "responses":
        info = json.loads(row["info"] or "{}")
        content: Any = [row["text"], info.get("answers")]
        shown = row["text"] or ""
    else:
        content = [row["label"], row["preference"], row["score"], row["raw"]]
        shown = f"label {row['label']!r}, preference {row['preference']}, score {row['score']}"
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return digest, shown


def _where(row: sqlite3.Row) -> str:
    info = json.loads(row["info"] or "{}")
    bits = [f"{k} {info[k]}" for k in ("model", "reference", "prompt_id", "order") if info.get(k)]
    return ", ".join(bits)


def _ok_rows(db: sqlite3.Connection, table: str) -> Iterator[sqlite3.Row]:
    db.row_factory = sqlite3.Row
    try:
        yield from db.execute(f"SELECT * FROM {table} WHERE status = 'ok'")
    finally:
        db.row_factory = None


def find_conflicts(stores: Sequence[tuple[Path, sqlite3.Connection]]) -> tuple[list[Conflict], int]:
    """(up to a few conflicts shown in full, the total number) over ``stores`` in order."""
    shown: list[Conflict] = []
    total = 0
    for table in _RESULT_TABLES:
        seen: dict[str, tuple[str, int, str]] = {}
        for index, (path, db) in enumerate(stores):
            for row in _ok_rows(db, table):
                digest, text = _signature(table, row)
                prior = seen.get(row["key"])
                if prior is None:
                    seen[row["key"]] = (digest, index, text)
                elif prior[0] != digest:
                    total += 1
                    if len(shown) < _SHOWN_CONFLICTS:
                        shown.append(Conflict(table, row["key"], stores[prior[1]][0], path, prior[2], text,
                                              _where(row)))
    return shown, total


def _conflict_error(shown: list[Conflict], total: int) -> MergeConflict:
    lines = []
    for c in shown:
        lines.append(f"- {c.table} key {c.key[:16]}… ({c.where or 'no details'}): {c.first} has "
                     f"{_clip(c.first_text)}, {c.second} has {_clip(c.second_text)}")
    more = f" (and {total - len(shown)} more)" if total > len(shown) else ""
    return MergeConflict(
        f"Cannot merge: {total} row(s) have the same content key but different results{more}. "
        "Nothing was written.\n" + "\n".join(lines),
        "The same request was answered twice with different results (sampling at temperature > 0 on both "
        "machines, or a different checkpoint behind the same model). Split work with `--shard i/n` so each key is "
        "produced once, or pass --keep-first to keep the first store's result for every conflicting key.",
    )


def _clip(text: str, n: int = 60) -> str:
    text = text.replace("\n", " ")
    return repr(text if len(text) <= n else text[:n] + "…")


def _upsert_sql(table: str, columns: list[str]) -> str:
    cols = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("key", "attempts"))
    return (
        f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT(key) DO UPDATE SET {updates}, "
        f"attempts = MAX({table}.attempts, excluded.attempts) "
        f"WHERE {table}.status != 'ok' AND (excluded.status = 'ok' OR excluded.created_at > {table}.created_at)"
    )


def _copy_results(dest: sqlite3.Connection, src: sqlite3.Connection, table: str, summary: MergeSummary) -> None:
    columns = [c for c in _columns(src, table) if c in set(_columns(dest, table))]
    sql = _upsert_sql(table, columns)
    cursor = src.execute(f"SELECT {', '.join(columns)} FROM {table}")
    while chunk := cursor.fetchmany(_CHUNK):
        before = dest.total_changes
        dest.executemany(sql, chunk)
        changed = dest.total_changes - before
        summary.added[table] = summary.added.get(table, 0) + changed
        summary.unchanged[table] = summary.unchanged.get(table, 0) + len(chunk) - changed


def _copy_suites(dest: sqlite3.Connection, src: sqlite3.Connection, src_path: Path, summary: MergeSummary) -> None:
    for name, config, prompts, updated_at in src.execute("SELECT name, config, prompts, updated_at FROM suites"):
        have = dest.execute("SELECT config, prompts, updated_at FROM suites WHERE name = ?", (name,)).fetchone()
        if name not in summary.suites:
            summary.suites.append(name)
        if have is None:
            dest.execute("INSERT INTO suites (name, config, prompts, updated_at) VALUES (?, ?, ?, ?)",
                         (name, config, prompts, updated_at))
        elif (have[0], have[1]) != (config, prompts):
            newer = updated_at > have[2]
            if newer:
                dest.execute("UPDATE suites SET config = ?, prompts = ?, updated_at = ? WHERE name = ?",
                             (config, prompts, updated_at, name))
            summary.notes.append(f"suite {name!r} differs between the stores; kept the most recently saved one"
                                 f"{f' (from {src_path})' if newer else ''}")


def _copy_manifests(dest: sqlite3.Connection, src: sqlite3.Connection) -> None:
    if "judging_manifests" not in {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}:
        return  # a schema-1 store: nothing recorded
    rows = src.execute("SELECT suite, model, hash, manifest, first_at, last_at FROM judging_manifests").fetchall()
    dest.executemany(
        """INSERT INTO judging_manifests (suite, model, hash, manifest, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(suite, model, hash) DO UPDATE SET first_at = MIN(judging_manifests.first_at, excluded.first_at),
           last_at = MAX(judging_manifests.last_at, excluded.last_at)""",
        rows,
    )


def merge_stores(sources: Sequence[Path], into: Path, *, keep_first: bool = False) -> MergeSummary:
    """Union ``sources`` into ``into`` (created if absent; if it exists, its rows take part and come first).

    Raises ConfigError (a missing or foreign file, a conflict) before anything is written.
    """
    into = Path(into)
    if not sources:
        raise ConfigError("Nothing to merge: name at least one store.", "judgebench merge A.sqlite B.sqlite --into C.sqlite")
    resolved_into = into.resolve()
    srcs: list[Path] = []
    for s in map(Path, sources):
        check_store(s, "The store")
        if s.resolve() == resolved_into or any(s.resolve() == p.resolve() for p in srcs):
            continue  # the destination itself, or a repeat: already part of the union
        srcs.append(s)
    existed = into.exists()
    if existed:
        check_store(into, "The destination")
    connections: list[tuple[Path, sqlite3.Connection]] = []
    try:
        if existed:
            connections.append((into, _connect_ro(into)))
        connections += [(s, _connect_ro(s)) for s in srcs]
        try:
            shown, total = find_conflicts(connections)
        except sqlite3.Error as e:
            raise StoreError(f"Cannot read the stores to merge: {e}.", "Check that the files are intact.") from None
        if total and not keep_first:
            raise _conflict_error(shown, total)
        summary = MergeSummary(into=into, sources=srcs, conflicts_kept_first=total)
        _write(into, connections[1:] if existed else connections, summary, existed)
        return summary
    finally:
        for _, db in connections:
            db.close()


def _write(into: Path, sources: list[tuple[Path, sqlite3.Connection]], summary: MergeSummary, existed: bool) -> None:
    Store(into).close()  # create it, or migrate it to this version's schema
    try:
        dest = sqlite3.connect(into, timeout=60.0, isolation_level=None)
    except sqlite3.Error as e:
        raise StoreError(f"Cannot open the destination {into}: {e}.", "Pass --into a writable path.") from None
    try:
        dest.execute("PRAGMA busy_timeout = 60000")
        dest.execute("BEGIN IMMEDIATE")
        try:
            for path, src in sources:
                for table in _RESULT_TABLES:
                    _copy_results(dest, src, table, summary)
                _copy_suites(dest, src, path, summary)
                _copy_manifests(dest, src)
            dest.execute("COMMIT")
        except BaseException:
            dest.execute("ROLLBACK")
            raise
    except sqlite3.Error as e:
        if not existed:
            _remove_store(into)
        raise StoreError(f"Cannot write the merged store {into}: {e}.",
                         "Nothing was merged; free disk space or pass --into another path.") from None
    finally:
        dest.close()


def _remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")
