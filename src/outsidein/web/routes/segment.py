"""The Segment HTTP Tracking API (``/v1/track`` ... ``/v1/batch``) and write-key management.

A Segment or RudderStack client only needs its host changed to send here. Every request is
answered after its messages are durable: 200 ``{"success": true}`` when all were accepted;
otherwise the one JSON error shape, with the status a client can act on (400 naming the
field, 401, 413, 429 with ``Retry-After``, 503). A 400 for a batch lists the rejected
events by index; the batch's other events were stored before it was sent.

The ingestion service (the writer thread; its applier is a pipeline step) starts and stops
with the app, through this router's lifespan. Key management (``/api/v1/segment/keys``) is
how ``outsidein keys`` works while the server owns the store; it is accepted only from this
machine.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from outsidein.auth.roles import Role
from outsidein.errors import OutsideInError
from outsidein.ingest.segment import (
    TYPES,
    CheckedRequest,
    PayloadTooLargeError,
    SaturatedError,
    SegmentError,
    SegmentService,
    SegmentSettings,
    WriteKey,
    WriteKeyError,
    secret_from_authorization,
)
from outsidein.ingest.segment.activity import ingestion_overview
from outsidein.ingest.segment.body import check_size
from outsidein.ingest.segment.service import limit_for
from outsidein.ingest.segment.timestamps import utc_now
from outsidein.web.access import ActorDep, requires
from outsidein.web.background import pipeline_of, while_serving
from outsidein.web.deps import CursorDep
from outsidein.web.errors import error_response
from outsidein.web.openapi import documented_auth, documented_body
from outsidein.web.request_body import read_capped
from outsidein.web.schemas.errors import ErrorResponse
from outsidein.web.schemas.segment import ActivityOut, CreatedKeyOut, KeyOut, NewKey
from outsidein.web.schemas.segment_calls import CALLS


def _ingestion(app: FastAPI) -> SegmentService:
    """The ingestion service of this server; its applier is a step of the app's pipeline,
    which applies the rest at shutdown, after the service committed what it queued."""
    config = app.state.config.current.config
    return SegmentService(
        app.state.store.cursor,
        SegmentSettings(),
        store=config.store,
        precedence=config.ingest.precedence,
        pipeline=pipeline_of(app),
    )


router = APIRouter(tags=["segment"], lifespan=while_serving(_ingestion, "segment"))
api_router = APIRouter(tags=["segment"])

_AUTH_DOC = documented_auth(
    "writeKey",
    {
        "type": "http",
        "scheme": "basic",
        "description": "The write key as user, an empty password (or `writeKey` in the body)",
    },
)
_ERRORS_DOC: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Invalid JSON or events; names the field (and index in a batch)"),
        (401, "Missing, unknown or revoked write key"),
        (413, "Over 32 KB per call or event, 500 KB or 2,500 events per batch"),
        (429, "Saturated; retry after the Retry-After header's seconds"),
        (503, "Nothing was stored (the store failed or the server is stopping)"),
    )
}
_LOCAL_DOC: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "Not an admin"}
}


class Accepted(BaseModel):
    """Every message of the request is durable."""

    success: Literal[True]


def _service(request: Request) -> SegmentService:
    service: SegmentService = request.app.state.segment
    return service


def _error(request: Request, exc: OutsideInError) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, SaturatedError):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, WriteKeyError):
        headers["WWW-Authenticate"] = 'Basic realm="Outside-In ingestion"'
    return error_response(request, exc.http_status, exc.code, exc.message, exc.details, headers)


async def _read_body(request: Request, limit: int, what: str) -> bytes:
    """The raw body, refused with 413 past ``limit`` (after draining, so clients see it)."""
    chunks: list[bytes] = []
    size = await read_capped(request, limit, chunks.append)
    if size is not None:
        check_size(size, limit, what)
    return b"".join(chunks)


async def _commit(service: SegmentService, checked: CheckedRequest) -> None:
    """Hand the request to the group commit and wait until it is durable."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def resolve(error: BaseException | None) -> None:
        if future.done():  # the client went away; the commit happened regardless
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    def done(error: BaseException | None) -> None:
        loop.call_soon_threadsafe(resolve, error)

    service.submit(checked, done)
    await future


async def _ingest(request: Request, call_type: str | None) -> Response:
    service = _service(request)
    received_at = utc_now()
    what = "the batch" if call_type is None else f"a {call_type} call"
    key: WriteKey | None = None
    try:
        secret = secret_from_authorization(request.headers.get("authorization"))
        key = service.authenticate(secret) if secret is not None else None
        try:
            raw = await _read_body(request, limit_for(call_type), what)
        except PayloadTooLargeError as exc:
            if key is not None:
                exc.refused = service.refusal(key, received_at, b"", exc)
            raise
        checked = service.check(
            call_type,
            raw,
            request.headers.get("content-encoding"),
            key=key,
            received_at=received_at,
        )
        await _commit(service, checked)
        error = checked.error()
        if error is not None:
            raise error
    except SegmentError as exc:
        if exc.refused is not None and not isinstance(exc, SaturatedError):
            try:
                await _commit(service, exc.refused)
            except SegmentError as recording:
                return _error(request, recording)
        return _error(request, exc)
    return JSONResponse({"success": True})


def _endpoint(call_type: str | None) -> None:
    path = f"/v1/{call_type or 'batch'}"
    summary = (
        f"Segment {call_type} call" if call_type else "A batch of up to 2,500 Segment messages"
    )

    async def endpoint(request: Request) -> Response:
        return await _ingest(request, call_type)

    endpoint.__name__ = f"segment_{call_type or 'batch'}"
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        summary=summary,
        response_model=Accepted,
        responses={200: {"description": "Every event is durable"}, **_ERRORS_DOC},
        openapi_extra={**documented_body(CALLS[call_type], summary), **_AUTH_DOC},
    )


for _type in (*TYPES, None):
    _endpoint(_type)


# -- write keys and activity, for `outsidein keys` and the activity page --------------------


def _key_out(key: WriteKey) -> KeyOut:
    fields = {name: getattr(key, name) for name in KeyOut.model_fields}
    return KeyOut(**{**fields, "scopes": list(key.scopes)})


@api_router.get(
    "/segment/keys",
    response_model=list[KeyOut],
    summary="Write keys",
    responses=_LOCAL_DOC,
    dependencies=[requires(Role.ADMIN)],
)
def get_keys(request: Request) -> list[KeyOut]:
    return [_key_out(key) for key in _service(request).list_keys()]


@api_router.post(
    "/segment/keys",
    response_model=CreatedKeyOut,
    status_code=201,
    summary="Create a write key",
    responses=_LOCAL_DOC,
    dependencies=[requires(Role.ADMIN)],
)
def post_key(request: Request, body: NewKey, actor: ActorDep) -> CreatedKeyOut:
    created = _service(request).create_key(body.name, body.scopes, actor=actor)
    return CreatedKeyOut(**_key_out(created.key).model_dump(), secret=created.secret)


@api_router.post(
    "/segment/keys/{key_id}/revoke",
    response_model=KeyOut,
    summary="Revoke a write key",
    responses={
        **_LOCAL_DOC,
        404: {"model": ErrorResponse, "description": "No write key with this id"},
    },
    dependencies=[requires(Role.ADMIN)],
)
def revoke(request: Request, key_id: str, actor: ActorDep) -> KeyOut:
    return _key_out(_service(request).revoke_key(key_id, actor=actor))


@api_router.get(
    "/segment/activity",
    response_model=ActivityOut,
    summary="Ingestion activity per write key",
    dependencies=[requires(Role.MANAGER)],
)
def activity(cur: CursorDep) -> ActivityOut:
    """Accepted, rejected and duplicate events per key, top reject reasons, recent rejects."""
    return ActivityOut.model_validate(ingestion_overview(cur))
