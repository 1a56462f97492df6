"""``outsidein backup PATH`` and ``outsidein restore PATH`` (docs/operations.md).

A backup is one DuckDB file with a manifest (:mod:`outsidein.store.backup`). While
``outsidein serve`` holds the store, the server takes the snapshot and streams it here;
otherwise the command opens the store itself (holding its lock, so no server starts
meanwhile). Either way the file is written as ``PATH.partial``, checked, synced and only
then renamed to ``PATH``. A restore refuses while a server holds the store: stop it first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.cli.server_client import find_server, held_elsewhere
from outsidein.errors import StoreLockedError
from outsidein.store import audit, connect
from outsidein.store.backup import (
    BackupError,
    BackupManifest,
    partial_path,
    restore,
    sync_file,
    take_snapshot,
    verify,
)

__all__ = ["backup_command", "restore_command"]

PathArgument = Annotated[Path, typer.Argument(help="The backup file", dir_okay=False)]


def _through_server(db: Path, target: Path) -> BackupManifest | None:
    """The snapshot taken by the server holding ``db``; None when no server holds it."""
    server = find_server(db)
    if server is None:
        return None
    partial = partial_path(target)
    try:
        server.download("/api/v1/admin/backup", partial)
        manifest = verify(partial)
        sync_file(partial)
        os.replace(partial, target)
        sync_file(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


@app.command("backup")
def backup_command(path: PathArgument, db: DbOption = None) -> None:
    """Write a consistent snapshot of the store to PATH (through the server when it runs)."""
    store = settings(db).db
    target = path.resolve()
    if target.exists():
        raise BackupError(f"{path} exists already; name a new file, or remove it first")
    if not store.exists():
        raise BackupError(f"{store}: no store here to back up")
    manifest = _through_server(store, target)
    how = "through the running server"
    if manifest is None:
        how = "from the store directly"
        try:
            con = connect(store)
        except StoreLockedError as exc:
            raise held_elsewhere(exc, store) from None
        try:
            manifest = take_snapshot(con, target)
            audit.record(
                con,
                actor="cli",
                action="backup",
                target=str(target),
                detail={"through": "store", "tables": len(manifest.tables), "rows": manifest.rows},
            )
        finally:
            con.close()
    console.print(
        f"backed up {store} {how} to {target}: schema version {manifest.schema_version}, "
        f"{len(manifest.tables)} tables, {manifest.rows:,} rows, checked",
        highlight=False,
    )


@app.command("restore")
def restore_command(
    path: PathArgument,
    db: DbOption = None,
    check_only: Annotated[
        bool, typer.Option("--check", help="Only check the backup; change nothing")
    ] = False,
) -> None:
    """Replace the store by the backup at PATH, after checking it; the old store is kept."""
    store = settings(db).db
    if check_only:
        manifest = verify(path)
        console.print(
            f"{path}: a good backup: schema version {manifest.schema_version}, taken "
            f"{manifest.taken_at:%Y-%m-%d %H:%M:%S} UTC, {len(manifest.tables)} tables, "
            f"{manifest.rows:,} rows",
            highlight=False,
        )
        return
    server = find_server(store)
    if server is not None:
        pid = server.record.pid if server.record else "?"
        raise StoreLockedError(
            f"{store} is held by `outsidein serve` (process {pid} at {server.url}); stop it, "
            "then restore: a restore replaces the whole store",
            path=str(store),
        )
    done = restore(path, store)
    con = connect(store)  # brings an older backup's schema up to date
    try:
        audit.record(
            con,
            actor="cli",
            action="restore",
            target=str(Path(path).resolve()),
            detail={
                "taken_at": done.manifest.taken_at,
                "rows": done.manifest.rows,
                "kept_aside": str(done.kept_aside) if done.kept_aside else None,
            },
        )
    finally:
        con.close()
    console.print(
        f"restored {store} from {path} (taken {done.manifest.taken_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"{done.manifest.rows:,} rows, checked)",
        highlight=False,
    )
    if done.kept_aside:
        console.print(f"the store it replaced is kept as {done.kept_aside}", highlight=False)
