"""Apply the versioned migrations in ``store/migrations`` to a DuckDB connection.

Each migration runs in its own transaction together with the bump of ``schema_version``,
so a crash mid-upgrade leaves the file at the previous version, never in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import duckdb

from outsidein.errors import SchemaVersionError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    """All migrations shipped with this version, ordered by version."""
    found = []
    for entry in resources.files("outsidein.store.migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


LATEST_VERSION = available_migrations()[-1].version


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the file; 0 for an empty file."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0]
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> list[int]:
    """Bring the schema up to ``target`` (default: latest); return the versions applied."""
    target = LATEST_VERSION if target is None else target
    version = current_version(con)
    if version > LATEST_VERSION:
        raise SchemaVersionError(
            f"the store is at schema version {version}, newer than this Outside-In knows "
            f"({LATEST_VERSION}); upgrade Outside-In to open it"
        )
    applied = []
    for migration in available_migrations():
        if version < migration.version <= target:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(migration.sql)
                con.execute(
                    "INSERT INTO schema_version VALUES (?, ?, now()::TIMESTAMP)",
                    [migration.version, migration.name],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            applied.append(migration.version)
    return applied
