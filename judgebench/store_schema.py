"""The store's SQL schema, one migration per version (kept apart from the Store's logic).

A store records its version in ``meta.schema_version``; :class:`judgebench.store.Store` applies
the migrations it lacks on open and refuses a store newer than this code.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

MIGRATIONS: list[str] = [
    # v1
    """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS responses (
        key TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
        text TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 1,
        created_at REAL NOT NULL,
        info TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE IF NOT EXISTS judgments (
        key TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'parse_failure')),
        label TEXT,
        preference REAL,
        score REAL,
        reasoning TEXT,
        raw TEXT,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 1,
        created_at REAL NOT NULL,
        info TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE IF NOT EXISTS suites (
        name TEXT PRIMARY KEY,
        config TEXT NOT NULL,
        prompts TEXT NOT NULL,
        updated_at REAL NOT NULL
    );
    """,
    # v2: what each model was judged under, so the gate can refuse to compare unlike results
    """
    CREATE TABLE IF NOT EXISTS judging_manifests (
        suite TEXT NOT NULL,
        model TEXT NOT NULL,
        hash TEXT NOT NULL,
        manifest TEXT NOT NULL,
        first_at REAL NOT NULL,
        last_at REAL NOT NULL,
        PRIMARY KEY (suite, model, hash)
    );
    """,
]
