"""``POST /api/v1/loads/{kind}``: load a file into the store this server holds.

How ``outsidein load`` works while the server runs (docs/loading.md): the command sends the
file's bytes and the server, as the store's one writer, runs the same loader a local load
runs, with the same result and rejects. Like write-key management it is accepted only from
this machine, and only with the token the server wrote into its record beside the store
(:mod:`outsidein.store.owner`), which only the user who started it can read. The body streams
to a temporary folder beside the store, capped at ``OUTSIDEIN_MAX_UPLOAD_MB``, and is removed
afterwards; the load runs in a worker thread, one at a time, so other requests are served
meanwhile, and then tells the pipeline the table changed.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi import Path as PathParam
from pydantic import StringConstraints

from outsidein.auth.roles import Role
from outsidein.errors import ForbiddenError, LoadError, OutsideInError
from outsidein.ingest import LoadResult, load_file, parse_mapping
from outsidein.ingest.dates import parse_format_specs
from outsidein.ingest.encodings import check_encoding
from outsidein.ingest.formats import ReadOptions
from outsidein.ingest.mapping import merge_mappings
from outsidein.ingest.reconcile import Reconcile
from outsidein.ingest.transforms.options import load_inputs
from outsidein.settings.load import LoadSpec
from outsidein.store import TABLES
from outsidein.store.owner import ServerRecord
from outsidein.web.access import ActorDep, requires
from outsidein.web.background import pipeline_of
from outsidein.web.request_body import read_capped
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.loads import LoadOut

TOKEN_HEADER = "x-outsidein-token"
UPLOAD_PREFIX = ".outsidein-upload-"
# Query limits: with the worst percent-encoding (9 bytes a character) they sum to ~1.1 MB,
# inside the server's request head (web/server.py MAX_REQUEST_HEAD_BYTES).
MAX_TRANSFORMS_CHARS = 20_000
MAX_OPTIONS = 100
OptionText = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^=]+=.+$")]
ATTEMPTS = 3  # a load meeting a concurrent write (the Segment applier) is tried again


class UploadTooLargeError(OutsideInError):
    """The uploaded file is over the server's limit."""

    code = "payload_too_large"
    http_status = 413
    exit_code = 2


class LoadConflictError(OutsideInError):
    """The load kept meeting concurrent writes to the same rows; nothing was loaded."""

    code = "load_conflict"
    http_status = 409


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One load at a time; uploads left by a killed server are removed at start."""
    app.state.loading = threading.Lock()
    for left in Path(app.state.db_path).parent.glob(UPLOAD_PREFIX + "*"):
        shutil.rmtree(left, ignore_errors=True)
    yield


LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")

router = APIRouter(
    prefix="/loads", tags=["loads"], lifespan=_lifespan, dependencies=[requires(Role.ADMIN)]
)

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes (CSV, Parquet, JSON Lines or .xlsx; its name says which).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
}


def _owner(request: Request) -> ServerRecord:
    """Refuse unless the caller is on this machine and sent this start's token."""
    owner: ServerRecord | None = getattr(request.app.state, "owner", None)
    if owner is None:
        raise ForbiddenError("this server was not started by `outsidein serve`: it takes no files")
    host = request.client.host if request.client else ""
    if host not in LOCAL_HOSTS:
        raise ForbiddenError(
            "files are loaded through the server only from its own machine (`outsidein load`)"
        )
    sent = request.headers.get(TOKEN_HEADER, "")
    if not secrets.compare_digest(sent.encode(), owner.token.encode()):
        raise ForbiddenError(
            f"{'a wrong' if sent else 'no'} X-Outsidein-Token: send the token of the server's "
            "record beside the store (`outsidein load` does)"
        )
    return owner


async def _receive(request: Request, target: Path, name: str, limit: int) -> None:
    """Stream the body to ``target``; past ``limit`` bytes refuse it (413) naming the limit."""
    with open(target, "wb") as handle:
        size = await read_capped(request, limit, handle.write)
    if size is not None:
        raise UploadTooLargeError(
            f"{name}: {size:,} bytes is over this server's upload limit of "
            f"{limit:,} bytes (OUTSIDEIN_MAX_UPLOAD_MB when it starts); raise it, or stop the "
            "server and run `outsidein load` on the store",
            limit=limit,
        )


def _load(
    app: FastAPI,
    kind: str,
    path: Path,
    name: str,
    extra: dict[str, str],
    id_system: str | None,
    strict: bool,
    cli: LoadSpec,
    reading: tuple[dict[str, str], str | None, str | None],
    flags: tuple[bool, bool, bool, str | None] = (False, False, False, None),
) -> LoadResult:
    """The same load as ``outsidein load``, with the configuration in force; in a thread."""
    config = app.state.config.current.config
    cli = cli.model_copy(update={"map": {**extra, **cli.map}})
    mapping, spec = load_inputs(
        config.mapping.get(kind, {}), config.load.get(kind, LoadSpec()), cli
    )
    named, encoding, sheet = reading
    options = ReadOptions(encoding, sheet, merge_mappings(config.formats.get(kind, {}), named))
    reconcile = Reconcile.of(
        config.sources,
        full_refresh=flags[0],
        churn_ends_subscriptions=flags[1],
        supersede=flags[2],
        actor=flags[3],
    )
    with app.state.loading:
        for attempt in range(1, ATTEMPTS + 1):
            cur = app.state.store.cursor()
            try:
                return load_file(
                    cur,
                    kind,
                    path,
                    mapping=mapping,
                    id_system=id_system,
                    strict=strict,
                    config=config.store,
                    precedence=config.ingest.precedence,
                    name=name,
                    transforms=spec,
                    options=options,
                    reconcile=reconcile,
                )
            except duckdb.TransactionException as exc:
                if attempt == ATTEMPTS:
                    raise LoadConflictError(
                        f"{name}: the load met other writes to the same rows {ATTEMPTS} times "
                        f"({exc}); nothing was loaded: run the same command again"
                    ) from exc
            except OutsideInError as exc:  # name the client's file, not the upload's
                exc.message = exc.message.replace(str(path), name)
                raise
            finally:
                cur.close()
    raise AssertionError("unreachable")


@contextmanager
def _refusals() -> Iterator[None]:
    """A request of the documented shape whose file or options the loader refuses answers
    422 (refused by a rule), with the loader's own message; 400 stays for what the schema
    refuses (docs/api.md)."""
    try:
        yield
    except OutsideInError as exc:
        if exc.http_status == 400:
            exc.http_status = 422
        raise


@router.post(
    "/{kind}",
    response_model=LoadOut,
    summary="Load a file (as `outsidein load` does while the server runs)",
    openapi_extra=_BODY_DOC,
    responses={
        400: {"model": ErrorResponse, "description": "Unknown kind, a malformed option"},
        403: {"model": ErrorResponse, "description": "Not from this machine, or no valid token"},
        409: {"model": ErrorResponse, "description": "Concurrent writes; nothing was loaded"},
        413: {"model": ErrorResponse, "description": "Over OUTSIDEIN_MAX_UPLOAD_MB"},
        **refused(
            "the file or an option cannot be loaded (an unreadable file, a missing required "
            "column, a mapping to no column, a date format that does not parse...): the "
            "message names the file, line, field and the fix; nothing was loaded"
        ),
    },
)
async def post_load(
    request: Request,
    kind: Annotated[
        str,
        PathParam(
            description="The table the file loads into",
            json_schema_extra={"enum": list(TABLES)},
        ),
    ],
    filename: Annotated[
        str,
        Query(
            min_length=1,
            max_length=1024,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="The file as the client names it (no control characters)",
        ),
    ],
    map_: Annotated[
        list[OptionText] | None,
        Query(
            alias="map",
            max_length=MAX_OPTIONS,
            description="SOURCE_COLUMN=CANONICAL_COLUMN, as --map",
        ),
    ] = None,
    id_system: Annotated[str | None, Query(max_length=100)] = None,
    strict: bool = False,
    transforms: Annotated[
        str | None,
        Query(
            max_length=MAX_TRANSFORMS_CHARS,
            description="The transform options of `outsidein load` as JSON ([load.<kind>] "
            "of outsidein.toml), laid over the server's own",
        ),
    ] = None,
    format_: Annotated[
        list[OptionText] | None,
        Query(
            alias="format",
            max_length=MAX_OPTIONS,
            description="COLUMN=FORMAT, a date column's format, as --format",
        ),
    ] = None,
    encoding: Annotated[str | None, Query(max_length=100, description="As --encoding")] = None,
    sheet: Annotated[str | None, Query(max_length=200, description="As --sheet")] = None,
    full_refresh: Annotated[bool, Query(description="As --full-refresh")] = False,
    churn_ends_subscriptions: Annotated[
        bool, Query(description="As --churn-ends-subscriptions")
    ] = False,
    supersede: Annotated[bool, Query(description="As --supersede")] = False,
    actor: ActorDep = "cli",
) -> LoadOut:
    """Runs the file loader on the uploaded bytes; rows land, bad rows go to ``rejects``."""
    owner = _owner(request)
    if kind not in TABLES:
        raise LoadError(f"unknown kind {kind!r}; one of: {', '.join(TABLES)}")
    with _refusals():
        extra = parse_mapping(map_ or [])
        try:
            cli = LoadSpec.model_validate_json(transforms) if transforms else LoadSpec()
        except ValueError as exc:
            raise LoadError(f"transforms: not valid transform options: {exc}") from None
        reading = (parse_format_specs(format_ or []), encoding and check_encoding(encoding), sheet)
        base = Path(filename.replace("\\", "/")).name
        if base in ("", ".", ".."):
            raise LoadError(f"{filename!r} is not a file name")
    app: FastAPI = request.app
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=Path(app.state.db_path).parent))
    try:
        target = folder / base
        await _receive(request, target, filename, owner.max_upload_bytes)
        flags = (full_refresh, churn_ends_subscriptions, supersede, actor)
        with _refusals():
            result = await asyncio.to_thread(
                _load, app, kind, target, filename, extra, id_system, strict, cli, reading, flags
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not result.already_loaded:
        pipeline_of(app).mark(TABLES[kind].name)  # what reads the table catches up
    return LoadOut.model_validate(asdict(result))
