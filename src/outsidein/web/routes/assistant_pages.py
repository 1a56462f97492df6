"""``/loads/assistant``: upload a file, review and edit the proposed mapping, then load it.

The web side of ``outsidein load KIND FILE --inspect``: the page sends the file's bytes
(``static/assistant.js``, with the session's CSRF token) to a folder beside the store; the
review page shows each column with what it holds and a proposed target
(:mod:`outsidein.ingest.inspect`), which the person may change, and the first rejects a load
with it would leave (a scratch copy: :mod:`outsidein.ingest.inspect_preview`); Load runs the
same loader ``outsidein load`` runs, with the mapping as shown. Admins only, like loads.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from outsidein.auth.roles import Role
from outsidein.errors import LoadError, NotFoundError, OutsideInError
from outsidein.ingest import load_file
from outsidein.ingest.formats import ReadOptions, detect_format
from outsidein.ingest.inspect import Inspection, inspect_file
from outsidein.ingest.inspect_preview import preview_load
from outsidein.ingest.transforms.options import plain_maps
from outsidein.settings.load import LoadSpec
from outsidein.store.tables import TABLES
from outsidein.web.access import requires
from outsidein.web.background import pipeline_of
from outsidein.web.request_body import read_capped
from outsidein.web.templating import templates

PREFIX = ".outsidein-assist-"
DEFAULT_LIMIT = 1024 * 1024 * 1024
_ID = re.compile(r"[0-9a-f]{32}")
IGNORE = ""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Uploads left by an earlier run are removed at start."""
    for left in Path(app.state.db_path).parent.glob(PREFIX + "*"):
        shutil.rmtree(left, ignore_errors=True)
    yield


router = APIRouter(include_in_schema=False, lifespan=_lifespan, dependencies=[requires(Role.ADMIN)])


@dataclass(frozen=True)
class Upload:
    """A file waiting in its folder beside the store, with the kind it is for."""

    upload_id: str
    kind: str
    path: Path


def _folder(app: FastAPI, upload_id: str) -> Path:
    if not _ID.fullmatch(upload_id):
        raise NotFoundError("no such upload")
    return Path(app.state.db_path).parent / f"{PREFIX}{upload_id}"


def _upload(app: FastAPI, upload_id: str) -> Upload:
    folder = _folder(app, upload_id)
    files = [p for p in folder.glob("*/*") if p.is_file()] if folder.is_dir() else []
    if not files:
        raise NotFoundError("no such upload (loaded already, or the server restarted)")
    return Upload(upload_id, files[0].parent.name, files[0])


@router.get("/loads/assistant", response_class=HTMLResponse, name="assistant_page")
def assistant_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "assistant.html", {"kinds": list(TABLES)})


@router.post("/loads/assistant/upload")
async def upload(
    request: Request,
    kind: Annotated[str, Query(max_length=50)],
    filename: Annotated[str, Query(min_length=1, max_length=500)],
) -> Response:
    """The file's bytes (the body) into a folder of their own; where to review them."""
    app: FastAPI = request.app
    try:
        if kind not in TABLES:
            raise LoadError(f"unknown kind {kind!r}; one of: {', '.join(TABLES)}")
        name = Path(filename.replace("\\", "/")).name
        if name in ("", ".", ".."):
            raise LoadError(f"{filename!r} is not a file name")
        detect_format(Path(name))
        upload_id = secrets.token_hex(16)
        target = _folder(app, upload_id) / kind / name
        target.parent.mkdir(parents=True)
        owner = getattr(app.state, "owner", None)
        limit = owner.max_upload_bytes if owner is not None else DEFAULT_LIMIT
        with open(target, "wb") as handle:
            over = await read_capped(request, limit, handle.write)
        if over is not None:
            shutil.rmtree(target.parent.parent, ignore_errors=True)
            raise LoadError(f"{name}: {over:,} bytes is over the upload limit of {limit:,} bytes")
    except OutsideInError as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    return JSONResponse({"next": f"/loads/assistant/{upload_id}"}, status_code=201)


def _choices(kind: str) -> list[str]:
    return list(TABLES[kind].column_names)


def _review(
    request: Request,
    up: Upload,
    found: Inspection,
    spec: LoadSpec,
    formats: dict[str, str],
    status: int = 200,
) -> Response:
    cur = request.app.state.store.cursor()
    try:
        reading = ReadOptions(formats=formats)
        preview = preview_load(cur, up.kind, up.path, spec, reading)
    finally:
        cur.close()
    chosen = {s: (t if isinstance(t, str) else t[0]) for s, t in spec.map.items()}
    context: dict[str, Any] = {
        "up": up,
        "found": found,
        "chosen": chosen,
        "formats": formats,
        "choices": _choices(up.kind),
        "values": spec.values,
        "preview": preview,
    }
    return templates.TemplateResponse(request, "assistant_review.html", context, status_code=status)


def _inspect(request: Request, up: Upload) -> Inspection:
    cur = request.app.state.store.cursor()
    try:
        return inspect_file(cur, up.kind, up.path)
    finally:
        cur.close()


@router.get("/loads/assistant/{upload_id}", response_class=HTMLResponse)
def review(request: Request, upload_id: str) -> Response:
    up = _upload(request.app, upload_id)
    found = _inspect(request, up)
    return _review(request, up, found, found.spec, found.formats)


def _edited(found: Inspection, fields: dict[str, list[str]]) -> tuple[LoadSpec, dict[str, str]]:
    """The mapping as the person left it: a target (or nothing) and a format per column."""
    spec = LoadSpec(values=dict(found.spec.values))
    formats: dict[str, str] = {}
    allowed = set(TABLES[found.kind].column_names)
    for i, col in enumerate(found.columns):
        target = (fields.get(f"target.{i}") or [IGNORE])[0]
        if target != IGNORE and (target in allowed or target.startswith("custom:")):
            spec.map[col.name] = target
        fmt = (fields.get(f"format.{i}") or [""])[0].strip()
        if fmt:
            formats[col.name] = fmt
    spec.values = {t: v for t, v in spec.values.items() if t in set(spec.map.values())}
    return spec, formats


@router.post("/loads/assistant/{upload_id}", response_class=HTMLResponse)
async def review_edited(request: Request, upload_id: str) -> Response:
    """Preview the edited mapping, or (``action=load``) load the file with it."""
    app: FastAPI = request.app
    up = _upload(app, upload_id)
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    found = await asyncio.to_thread(_inspect, request, up)
    spec, formats = _edited(found, fields)
    if (fields.get("action") or ["preview"])[0] != "load":
        return _review(request, up, found, spec, formats)

    def run() -> Any:
        plain, rest = plain_maps(spec)
        config = app.state.config.current.config
        with _loading(app):
            cur = app.state.store.cursor()
            try:
                return load_file(
                    cur, up.kind, up.path, mapping=plain, transforms=rest,
                    options=ReadOptions(formats=formats), config=config.store,
                    precedence=config.ingest.precedence, name=up.path.name,
                )  # fmt: skip
            finally:
                cur.close()

    try:
        result = await asyncio.to_thread(run)
    except OutsideInError as exc:
        context = {"up": up, "error": exc.message, "result": None}
        return templates.TemplateResponse(request, "assistant_done.html", context, status_code=400)
    shutil.rmtree(_folder(app, upload_id), ignore_errors=True)
    if not result.already_loaded:
        pipeline_of(app).mark(TABLES[up.kind].name)
    context = {"up": up, "error": None, "result": result}
    return templates.TemplateResponse(request, "assistant_done.html", context)


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _loading(app: FastAPI) -> Any:
    """One load at a time, with the uploads of ``outsidein load`` (routes/loads.py)."""
    return getattr(app.state, "loading", None) or _NoLock()
