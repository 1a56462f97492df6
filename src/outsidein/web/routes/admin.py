"""``/api/v1/admin``: a backup of the store this server holds, and erasing a contact.

``POST /api/v1/admin/backup``: a consistent snapshot of the store this server holds.

How ``outsidein backup`` works while the server runs (docs/operations.md). The server never
writes where a client names: it writes the snapshot into a private folder beside its store
(:func:`outsidein.store.backup.take_snapshot`, one read transaction, ingestion goes on) and
streams the file back; the command writes it under ``PATH.partial``, checks it and renames
it. The folder is removed once the answer is sent, and at the next start if the server was
killed meanwhile. Like loads, it answers only this machine with this start's token; one
backup at a time.

``POST /api/v1/admin/contacts/{id}/erase``: :func:`outsidein.store.erasure.erase_contact`,
as ``outsidein contacts erase ID`` runs it while the server holds the store; any admin.

Who is recorded: the signed-in admin's name, or ``cli`` for the server's own token (the
backup, which answers only that token: the whole store leaves only to this machine's user
who can read the server's record).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from outsidein.auth.roles import Role
from outsidein.errors import OutsideInError
from outsidein.store import audit
from outsidein.store.backup import BackupManifest, take_snapshot
from outsidein.store.erasure import erase_contact
from outsidein.web.access import ActorDep, requires
from outsidein.web.routes.loads import _owner
from outsidein.web.schemas.errors import ErrorResponse

BACKUP_PREFIX = ".outsidein-backup-"
SNAPSHOT_NAME = "snapshot.duckdb"


class BackupBusyError(OutsideInError):
    """Another backup is being taken."""

    code = "backup_busy"
    http_status = 409
    exit_code = 3


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.backing_up = threading.Lock()
    for left in Path(app.state.db_path).parent.glob(BACKUP_PREFIX + "*"):
        shutil.rmtree(left, ignore_errors=True)
    yield


router = APIRouter(
    prefix="/admin", tags=["admin"], lifespan=_lifespan, dependencies=[requires(Role.ADMIN)]
)


def _snapshot(app: FastAPI, target: Path, actor: str) -> BackupManifest:
    lock: threading.Lock = app.state.backing_up
    if not lock.acquire(blocking=False):
        raise BackupBusyError("a backup is being taken already; try again when it is done")
    try:
        cur = app.state.store.cursor()
        try:
            manifest = take_snapshot(cur, target)
            audit.record(
                cur,
                actor=actor,
                action="backup",
                target=None,
                detail={"through": "server", "tables": len(manifest.tables), "rows": manifest.rows},
            )
            return manifest
        finally:
            cur.close()
    finally:
        lock.release()


@router.post(
    "/backup",
    summary="Take a consistent backup of the store (as `outsidein backup` does)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The snapshot, a DuckDB file with its manifest",
            "content": {"application/octet-stream": {}},
        },
        403: {"model": ErrorResponse, "description": "Not from this machine, or no valid token"},
        409: {"model": ErrorResponse, "description": "Another backup is being taken"},
    },
)
async def post_backup(request: Request, actor: ActorDep) -> FileResponse:
    """Writes the snapshot beside the store, streams it, then removes it."""
    _owner(request)
    app: FastAPI = request.app
    folder = Path(tempfile.mkdtemp(prefix=BACKUP_PREFIX, dir=Path(app.state.db_path).parent))
    target = folder / SNAPSHOT_NAME
    try:
        manifest = await asyncio.to_thread(_snapshot, app, target, actor)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        target,
        media_type="application/octet-stream",
        filename=SNAPSHOT_NAME,
        headers={"X-Outsidein-Backup-Rows": str(manifest.rows)},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


class ErasedOut(BaseModel):
    """What an erasure changed, per table (zeros when the contact was erased already)."""

    contact_id: str
    changed: dict[str, int]
    total: int


@router.post(
    "/contacts/{contact_id}/erase",
    response_model=ErasedOut,
    summary="Erase a contact's personal data (as `outsidein contacts erase` does)",
    responses={
        403: {"model": ErrorResponse, "description": "Not an admin"},
        404: {"model": ErrorResponse, "description": "No such contact or user"},
    },
)
async def post_erase(request: Request, contact_id: str, actor: ActorDep) -> ErasedOut:
    """Anonymises the contact's rows; identifiers stay so every figure counts the same.

    Any admin may ask (a session, an admin token, or `outsidein contacts erase` with the
    server's token): a person's request is answered by whoever handles it, named in the log.
    """
    app: FastAPI = request.app

    def run() -> ErasedOut:
        cur = app.state.store.cursor()
        try:
            done = erase_contact(cur, contact_id, actor=actor)
        finally:
            cur.close()
        return ErasedOut(contact_id=done.contact_id, changed=done.changed, total=done.total)

    return await asyncio.to_thread(run)
