"""Backups of the store: a consistent snapshot in one DuckDB file, checked before a restore.

A snapshot is written by ``COPY FROM DATABASE`` inside one read transaction of the
connection that holds the store (the server's, or the command's own), into a new file
attached beside it: DuckDB's MVCC gives that transaction one point in time, so writes that
commit meanwhile (the Segment applier, a load) are either wholly in it or wholly not. It
carries a manifest (``_backup_tables``: every table's row count and an order-independent
checksum, computed from the same transaction; ``_backup_info``: schema version, time),
which :func:`verify` recomputes on the file. ``EXPORT DATABASE`` was not chosen: it writes a
folder of files one by one (not one atomic artefact) and re-imports through CSV/Parquet
type round-trips; a file copy of the store (``CHECKPOINT`` + ``cp``) is consistent only
while nothing writes, which a running server cannot promise.

The snapshot is written to ``<name>.partial`` and renamed into place only once written,
detached (checkpointed), checked and synced: a process killed in between leaves no file
under the backup's name, and the store itself is only ever read.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from outsidein.errors import StoreError, StoreLockedError
from outsidein.store.migrate import LATEST_VERSION, available_migrations

__all__ = [
    "BackupError",
    "BackupManifest",
    "Restored",
    "copy_for_restore",
    "partial_path",
    "restore",
    "sync_file",
    "table_checksums",
    "take_snapshot",
    "verify",
]

TABLES_TABLE = "_backup_tables"
INFO_TABLE = "_backup_info"


class BackupError(StoreError):
    """A backup could not be written, or a snapshot is not one a restore can trust."""

    code = "backup_invalid"
    http_status = 422
    exit_code = 2


@dataclass(frozen=True)
class BackupManifest:
    """What a snapshot holds: its schema version, when it was taken, each table's figures."""

    schema_version: int
    taken_at: datetime
    tables: dict[str, tuple[int, str]]  # name -> (rows, checksum)

    @property
    def rows(self) -> int:
        return sum(rows for rows, _ in self.tables.values())


def partial_path(path: Path) -> Path:
    """Where a backup is written before it is complete."""
    return path.with_name(path.name + ".partial")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT temporary AND table_name NOT IN (?, ?) ORDER BY table_name",
        [catalog, TABLES_TABLE, INFO_TABLE],
    ).fetchall()
    return [row[0] for row in rows]


def table_checksums(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple[int, str]]:
    """Every table of ``catalog``: its row count and the sum of its rows' hashes.

    The sum (not an XOR) does not cancel out repeated rows, and does not depend on order.
    """
    found = {}
    for name in _tables(con, catalog):
        rows, total = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR "
            f"FROM {_quote(catalog)}.main.{_quote(name)} t"
        ).fetchall()[0]
        found[name] = (int(rows), str(total))
    return found


def _schema_version(con: duckdb.DuckDBPyConnection, catalog: str) -> int:
    row = con.execute(
        f"SELECT coalesce(max(version), 0) FROM {_quote(catalog)}.main.schema_version"
    ).fetchall()
    return int(row[0][0])


def sync_file(path: Path) -> None:
    """Flush ``path`` and its folder's entry to disk, so a rename after it is durable."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def take_snapshot(con: duckdb.DuckDBPyConnection, target: Path) -> BackupManifest:
    """Write a consistent snapshot of the store ``con`` holds to ``target`` (a new file).

    ``con`` must not be inside a transaction (a server passes a cursor of its own). The
    file appears under ``target`` only when complete and checked.
    """
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file, or remove it first")
    partial = partial_path(target)
    for left in (partial, partial.with_name(partial.name + ".wal")):
        left.unlink(missing_ok=True)
    alias = "backup_" + secrets.token_hex(4)
    source = con.execute("SELECT current_database()").fetchall()[0][0]
    con.execute(f"ATTACH {_literal(str(partial))} AS {alias}")
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"COPY FROM DATABASE {_quote(source)} TO {alias}")
            figures = table_checksums(con, source)
            version = _schema_version(con, source)
            taken_at = datetime.now(UTC).replace(tzinfo=None)
            con.execute(
                f"CREATE TABLE {alias}.{TABLES_TABLE} "
                "(table_name VARCHAR PRIMARY KEY, row_count BIGINT, checksum VARCHAR)"
            )
            con.executemany(
                f"INSERT INTO {alias}.{TABLES_TABLE} VALUES (?, ?, ?)",
                [[name, rows, total] for name, (rows, total) in figures.items()],
            )
            con.execute(
                f"CREATE TABLE {alias}.{INFO_TABLE} AS SELECT ?::INTEGER AS schema_version, "
                "?::TIMESTAMP AS taken_at, ?::VARCHAR AS source",
                [version, taken_at, source],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute(f"DETACH {alias}")
    try:
        manifest = verify(partial)
        sync_file(partial)
        os.replace(partial, target)
        sync_file(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def verify(path: Path) -> BackupManifest:
    """Open the snapshot at ``path`` read-only and check it: readable, a schema version this
    Outside-In knows with the migrations it ships, and every table's rows and checksum as
    the manifest says. :class:`BackupError` names what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise BackupError(f"{path}: not a readable DuckDB file ({exc})") from None
    try:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        try:
            info = con.execute(f"SELECT schema_version, taken_at FROM {INFO_TABLE}").fetchall()
            listed = con.execute(
                f"SELECT table_name, row_count, checksum FROM {TABLES_TABLE}"
            ).fetchall()
            applied = con.execute("SELECT version, name FROM schema_version").fetchall()
        except duckdb.Error:
            raise BackupError(
                f"{path}: not an Outside-In backup (no manifest); make one with "
                "`outsidein backup PATH`"
            ) from None
        version, taken_at = int(info[0][0]), info[0][1]
        if version > LATEST_VERSION:
            raise BackupError(
                f"{path}: the backup is at schema version {version}, newer than this "
                f"Outside-In knows ({LATEST_VERSION}); upgrade Outside-In to restore it"
            )
        shipped = {m.version: m.name for m in available_migrations()}
        for number, name in applied:
            if shipped.get(number) != name:
                raise BackupError(
                    f"{path}: migration {number} ({name}) is not one this Outside-In ships; "
                    "the backup came from another build"
                )
        expected = {name: (int(rows), str(total)) for name, rows, total in listed}
        found = table_checksums(con, catalog)
        if set(found) != set(expected):
            missing = sorted(set(expected) - set(found)) + sorted(set(found) - set(expected))
            raise BackupError(f"{path}: the tables differ from the manifest: {missing}")
        for name, figures in expected.items():
            if found[name] != figures:
                raise BackupError(
                    f"{path}: table {name} has {found[name][0]:,} rows (checksum "
                    f"{found[name][1]}), the manifest says {figures[0]:,} ({figures[1]}): "
                    "the file is damaged"
                )
        return BackupManifest(version, taken_at, expected)
    finally:
        con.close()


def copy_for_restore(snapshot: Path, staged: Path) -> None:
    """Copy ``snapshot`` to ``staged`` and drop its manifest: the store as it was taken."""
    staged.unlink(missing_ok=True)
    shutil.copyfile(snapshot, staged)
    con = duckdb.connect(str(staged))
    try:
        con.execute(f"DROP TABLE {TABLES_TABLE}")
        con.execute(f"DROP TABLE {INFO_TABLE}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    sync_file(staged)


@dataclass(frozen=True)
class Restored:
    """What a restore did: the snapshot's manifest and where the replaced store was put."""

    manifest: BackupManifest
    kept_aside: Path | None


def restore(snapshot: Path, db: Path) -> Restored:
    """Replace the store at ``db`` by ``snapshot`` once it checks out; keep the old aside.

    The snapshot is checked (:func:`verify`), copied beside the store and checked again
    there; only then is the current store (and its WAL) renamed to
    ``<store>.before-restore-<UTC time>`` and the copy renamed into place. The store's lock
    is held across the renames, so no process can open the old file in between; a process
    that holds the store (a server) makes the restore fail before anything moved.
    """
    db = Path(db)
    manifest = verify(snapshot)
    db.parent.mkdir(parents=True, exist_ok=True)
    staged = db.with_name(db.name + ".restoring")
    try:
        copy_for_restore(Path(snapshot), staged)
        con = duckdb.connect(str(staged), read_only=True)
        try:
            catalog = con.execute("SELECT current_database()").fetchall()[0][0]
            if table_checksums(con, catalog) != manifest.tables:
                raise BackupError(f"{staged}: the copy of {snapshot} differs from its manifest")
        finally:
            con.close()
        aside = None
        holder = _lock(db) if db.exists() else None
        try:
            if holder is not None:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                aside = db.with_name(f"{db.name}.before-restore-{stamp}")
                wal = db.with_name(db.name + ".wal")
                if wal.exists():
                    os.replace(wal, aside.with_name(aside.name + ".wal"))
                os.replace(db, aside)
            os.replace(staged, db)
            sync_file(db)
        finally:
            if holder is not None:
                holder.close()
    finally:
        staged.unlink(missing_ok=True)
    return Restored(manifest, aside)


def _lock(db: Path) -> duckdb.DuckDBPyConnection:
    """Hold the store's write lock (refused, naming the holder, while another process has it)."""
    try:
        return duckdb.connect(str(db))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(
                f"{db} is in use by another process (usually `outsidein serve`); stop it and "
                "restore again: a restore replaces the whole store",
                path=str(db),
            ) from None
        raise BackupError(f"{db}: cannot open the current store ({exc})") from None
