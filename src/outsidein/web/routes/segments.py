"""``/api/v1/segments``: saved segments, their fields, a live preview, members and changes.

Every figure comes from :mod:`outsidein.segments` (sizes and ARR from the recorded
membership, :func:`outsidein.segments.sizes`), which the section's pipeline step keeps
current while the server runs; a save marks the step so membership follows at once. A CSM
sees the members of their own book.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic_core import to_jsonable_python
from starlette.background import BackgroundTask

from outsidein.auth.roles import Role
from outsidein.config import OutsideInConfig
from outsidein.errors import InvalidRequestError
from outsidein.exports import write_csv
from outsidein.pipeline import Step
from outsidein.segments import (
    Context,
    SegmentStep,
    catalogue,
    changes,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    member_rows,
    members_at,
    preview,
    segment_versions,
    sizes,
    update_segment,
)
from outsidein.web.access import BookDep, PrincipalDep, actor_name, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import IsoDatetime
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.segments import (
    ChangeList,
    FieldList,
    FieldOut,
    MemberList,
    PreviewOut,
    SegmentIn,
    SegmentList,
    SegmentOut,
    SegmentUpdate,
)

STEP_INPUT = "segment_versions"  # what a save marks: the step recomputes at once


def context_of(config: OutsideInConfig) -> Context:
    """The configuration a segment field is computed with (the version in force)."""
    return Context.of(config)


def _steps(app: FastAPI) -> list[Step]:
    """Keeps segment membership current while the server runs (docs/segments.md)."""
    step = SegmentStep(lambda: context_of(app.state.config.current.config))
    app.state.segments_step = step
    return [step.step(min_gap=1.0)]


router = APIRouter(prefix="/segments", tags=["segments"], lifespan=with_steps(_steps))

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such segment"}
}
AtParam = Annotated[IsoDatetime | None, Query(description="A past time (UTC) [now]")]
Expression = Annotated[
    str, Query(min_length=1, max_length=4_000, description="A filter in the segment language")
]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _at(at: datetime | None) -> datetime:
    now = utc_now()
    if at is None:
        return now
    naive = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    return min(naive, now)


def _saved(request: Request) -> None:
    pipeline_of(request.app).mark(STEP_INPUT, urgent=True)


@router.get("", response_model=SegmentList, summary="Saved segments with their size and ARR")
def list_all(cur: CursorDep, book: BookDep, at: AtParam = None) -> SegmentList:
    """Each segment's version in force, its members at ``at`` and their ARR (a CSM: their
    own book's)."""
    when = _at(at)
    found = sizes(cur, when, csm=book.csm(None))
    return SegmentList(
        at=when, segments=[SegmentOut.of(s, found.get(s.segment_id)) for s in list_segments(cur)]
    )


@router.get("/fields", response_model=FieldList, summary="The fields a filter may read")
def fields(cur: CursorDep, config: ConfigDep) -> FieldList:
    return FieldList(
        fields=[FieldOut.of(f) for f in catalogue(cur, context_of(config)).fields.values()]
    )


@router.get(
    "/preview",
    response_model=PreviewOut,
    responses=refused("a filter that does not parse or type (its column in details)"),
    summary="What a filter selects today: count, ARR, first members",
)
def preview_filter(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    expression: Expression,
    limit: Annotated[int, Query(ge=0, le=200)] = 20,
) -> PreviewOut:
    """Nothing is saved: what the builder page shows as you type."""
    found = preview(
        cur, expression, utc_now().date(), context_of(config), limit=limit, csm=book.csm(None)
    )
    return PreviewOut.of(found)


@router.post(
    "",
    response_model=SegmentOut,
    status_code=201,
    dependencies=[requires(Role.MANAGER)],
    responses={
        **refused("a filter that does not parse or type, an id in use (409)"),
        409: {"model": ErrorResponse, "description": "The id is in use"},
    },
    summary="Save a new segment (version 1)",
)
def create(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep, body: SegmentIn
) -> SegmentOut:
    made = create_segment(
        cur, body.name, body.expression, catalogue(cur, context_of(config)),
        description=body.description, author=actor_name(principal), segment_id=body.segment_id,
    )  # fmt: skip
    _saved(request)
    return SegmentOut.of(made)


@router.get("/{segment_id}", response_model=SegmentOut, responses=NOT_FOUND,
            summary="One segment: its version in force, size and ARR")  # fmt: skip
def show(cur: CursorDep, book: BookDep, segment_id: str, at: AtParam = None) -> SegmentOut:
    segment = get_segment(cur, segment_id)
    return SegmentOut.of(segment, sizes(cur, _at(at), csm=book.csm(None)).get(segment_id))


@router.get("/{segment_id}/versions", response_model=list[SegmentOut], responses=NOT_FOUND,
            summary="Every version of a segment, oldest first")  # fmt: skip
def versions(cur: CursorDep, segment_id: str) -> list[SegmentOut]:
    return [SegmentOut.of(s) for s in segment_versions(cur, segment_id)]


@router.put(
    "/{segment_id}",
    response_model=SegmentOut,
    dependencies=[requires(Role.MANAGER)],
    responses={**NOT_FOUND, **refused("a filter that does not parse or type")},
    summary="Save a new version of a segment",
)
def update(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    principal: PrincipalDep,
    segment_id: str,
    body: SegmentUpdate,
) -> SegmentOut:
    made = update_segment(
        cur, segment_id, catalogue(cur, context_of(config)), name=body.name,
        expression=body.expression, description=body.description, author=actor_name(principal),
    )  # fmt: skip
    _saved(request)
    return SegmentOut.of(made)


@router.delete("/{segment_id}", response_model=SegmentOut, responses=NOT_FOUND,
               dependencies=[requires(Role.MANAGER)], summary="Delete a segment")  # fmt: skip
def delete(request: Request, cur: CursorDep, segment_id: str) -> SegmentOut:
    """Its members leave now; its versions and membership history are kept."""
    gone = delete_segment(cur, segment_id)
    _saved(request)
    return SegmentOut.of(gone)


@router.get("/{segment_id}/members", response_model=MemberList, responses=NOT_FOUND,
            summary="The members at a time, as recorded")  # fmt: skip
def members(cur: CursorDep, book: BookDep, segment_id: str, at: AtParam = None) -> MemberList:
    when = _at(at)
    ids = members_at(cur, segment_id, when, csm=book.csm(None))
    return MemberList(at=when, segment_id=segment_id, total=len(ids), account_ids=ids)


@router.get(
    "/{segment_id}/changes",
    response_model=ChangeList,
    responses={**NOT_FOUND, **refused("since after until")},
    summary="Who entered and left between two times",
)
def membership_changes(
    cur: CursorDep,
    book: BookDep,
    segment_id: str,
    since: AtParam = None,
    until: AtParam = None,
) -> ChangeList:
    """``since`` defaults to 7 days before ``until`` (now): "entered this week"."""
    end = _at(until)
    start = _at(since) if since is not None else end - timedelta(days=7)
    if start > end:
        raise InvalidRequestError(f"since ({start}) is after until ({end})")
    rows = changes(cur, segment_id, start, end, csm=book.csm(None))
    return ChangeList.of(segment_id, start, end, rows)


@router.get(
    "/{segment_id}/export",
    response_model=None,
    responses={
        **NOT_FOUND,
        200: {"content": {"text/csv": {}, "application/json": {}}, "description": "The rows"},
    },
    summary="The members as CSV (or JSON rows), with the fields the filter reads",
)
def export(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    segment_id: str,
    at: AtParam = None,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",
) -> Response | dict[str, Any]:
    """Formula-safe CSV (a text cell a spreadsheet would run starts with ``'``); ``json``:
    ``{"columns", "rows"}`` (what ``outsidein segments export`` writes beside a server)."""
    table = member_rows(cur, segment_id, at=_at(at), context=context_of(config), csm=book.csm(None))
    if format == "json":
        return {"columns": table.column_names, "rows": to_jsonable_python(table.to_pylist())}
    folder = Path(tempfile.mkdtemp(prefix="outsidein-export-"))
    path = folder / f"{segment_id}.csv"
    write_csv(table, path)

    def clean() -> None:
        path.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(path, media_type="text/csv", filename=path.name,
                        background=BackgroundTask(clean))  # fmt: skip


__all__ = ["context_of", "router"]
