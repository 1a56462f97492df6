"""``/segments``: the saved segments with their size and ARR, one segment's members and
changes, and the builder (a live count and preview as you type, from
``/api/v1/segments/preview``, drawn by static/segments.js).

Every figure is :mod:`outsidein.segments`' (the same as the API and the CLI); a CSM sees their
own book. Saving needs the manager role, as the API does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outsidein.auth.roles import Role
from outsidein.config import OutsideInConfig
from outsidein.errors import OutsideInError
from outsidein.expr import ExpressionError
from outsidein.segments import (
    catalogue,
    changes,
    create_segment,
    get_segment,
    list_segments,
    members_at,
    segment_versions,
    sizes,
    update_segment,
)
from outsidein.segments.language import MAX_FILTER_LENGTH
from outsidein.web.access import BookDep, PrincipalDep, actor_name, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.queries.accounts import csm_names
from outsidein.web.routes.segments import STEP_INPUT, context_of, utc_now
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)

CHANGE_DAYS = (7, 30, 90)
MEMBERS_SHOWN = 50
EXAMPLE = 'segment = "enterprise" and health < 50 and days_to_renewal <= 90'


@router.get("/segments", response_class=HTMLResponse, name="segments_page")
def segments_page(request: Request, cur: CursorDep, book: BookDep, config: ConfigDep) -> Response:
    now = utc_now()
    found = sizes(cur, now, csm=book.csm(None))
    rows = [(s, found.get(s.segment_id)) for s in list_segments(cur)]
    return templates.TemplateResponse(
        request,
        "segments.html",
        {
            "rows": rows,
            "at": now,
            "mine": book.csm_id is not None,
            "currency": config.analytics.reporting_currency,
        },
    )


def _builder(
    request: Request,
    config: OutsideInConfig,
    cur: Any,
    values: dict[str, str],
    *,
    segment: Any = None,
    problem: OutsideInError | None = None,
) -> Response:
    fields = catalogue(cur, context_of(config))
    return templates.TemplateResponse(
        request,
        "segment_builder.html",
        {
            "values": values,
            "segment": segment,
            "problem": problem,
            "caret": problem.position if isinstance(problem, ExpressionError) else None,
            "fields": list(fields.fields.values()),
            "example": EXAMPLE,
            "max_length": MAX_FILTER_LENGTH,
            "currency": config.analytics.reporting_currency,
        },
        status_code=422 if problem is not None else 200,
    )


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    return {k: (fields.get(k) or [""])[0] for k in ("name", "description", "expression")}


@router.get("/segments/new", response_class=HTMLResponse, name="segment_new_page")
def new_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    expression: Annotated[str, Query(max_length=MAX_FILTER_LENGTH)] = "",
) -> Response:
    return _builder(request, config, cur, {"name": "", "description": "", "expression": expression})


@router.post("/segments/new", response_class=HTMLResponse, dependencies=[requires(Role.MANAGER)])
async def create_page(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep
) -> Response:
    values = await _form(request)
    try:
        made = create_segment(
            cur, values["name"], values["expression"], catalogue(cur, context_of(config)),
            description=values["description"], author=actor_name(principal),
        )  # fmt: skip
    except OutsideInError as exc:
        return _builder(request, config, cur, values, problem=exc)
    pipeline_of(request.app).mark(STEP_INPUT, urgent=True)
    return RedirectResponse(f"/segments/{quote(made.segment_id)}", 303)


@router.get("/segments/{segment_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, cur: CursorDep, config: ConfigDep, segment_id: str) -> Response:
    s = get_segment(cur, segment_id)
    values = {"name": s.name, "description": s.description, "expression": s.expression}
    return _builder(request, config, cur, values, segment=s)


@router.post("/segments/{segment_id}/edit", response_class=HTMLResponse,
             dependencies=[requires(Role.MANAGER)])  # fmt: skip
async def update_page(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep, segment_id: str
) -> Response:
    s = get_segment(cur, segment_id)
    values = await _form(request)
    try:
        update_segment(
            cur, segment_id, catalogue(cur, context_of(config)), name=values["name"],
            expression=values["expression"], description=values["description"],
            author=actor_name(principal),
        )  # fmt: skip
    except OutsideInError as exc:
        return _builder(request, config, cur, values, segment=s, problem=exc)
    pipeline_of(request.app).mark(STEP_INPUT, urgent=True)
    return RedirectResponse(f"/segments/{quote(segment_id)}", 303)


@router.get("/segments/{segment_id}", response_class=HTMLResponse, name="segment_page")
def segment_page(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    config: ConfigDep,
    segment_id: str,
    days: Annotated[int, Query(ge=1, le=366, description="Changes over this many days")] = 7,
) -> Response:
    s = get_segment(cur, segment_id)
    now = utc_now()
    csm = book.csm(None)
    size = sizes(cur, now, csm=csm).get(segment_id)
    moved = changes(cur, segment_id, now - timedelta(days=days), now, csm=csm)
    ids = members_at(cur, segment_id, now, csm=csm)
    shown = ids[:MEMBERS_SHOWN]
    names = dict(
        cur.execute(
            "SELECT account_id, name FROM accounts WHERE account_id IN (SELECT unnest(?))",
            [shown],
        ).fetchall()
    )
    return templates.TemplateResponse(
        request,
        "segment.html",
        {
            "s": s,
            "size": size,
            "at": now,
            "days": days,
            "day_choices": CHANGE_DAYS,
            "changes": moved,
            "entered": sum(c["change"] == "entered" for c in moved),
            "left": sum(c["change"] == "left" for c in moved),
            "members": [(a, names.get(a)) for a in shown],
            "total": len(ids),
            "versions": list(reversed(segment_versions(cur, segment_id))),
            "csm_names": book.names(csm_names(cur)),
            "currency": config.analytics.reporting_currency,
        },
    )
