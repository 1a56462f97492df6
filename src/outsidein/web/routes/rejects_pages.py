"""``/rejects``: the loads that left rejects, and one load's rejects grouped with their fix.

For the person loading exports: which files had problems, what each problem is, what would be
valid and which option fixes it, and the lines themselves, a page at a time. The same queries
as ``outsidein rejects`` and ``/api/v1/rejects``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.auth.roles import Role
from outsidein.ingest.rejects import list_reject_loads, load_rejects
from outsidein.web.access import requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import PageParam
from outsidein.web.templating import templates, url_with

router = APIRouter(include_in_schema=False, dependencies=[requires(Role.MANAGER)])

LOADS_PER_PAGE = 20
LINES_PER_PAGE = 50


@router.get("/rejects", response_class=HTMLResponse, name="rejects_page")
def rejects_page(request: Request, cur: CursorDep, page: PageParam = 1) -> Response:
    found = list_reject_loads(cur, page=page, page_size=LOADS_PER_PAGE)
    pages = max(1, (found.total + LOADS_PER_PAGE - 1) // LOADS_PER_PAGE)
    return templates.TemplateResponse(
        request,
        "rejects.html",
        {"found": found, "pages": pages, **_pager(request, page, pages)},
    )


@router.get("/rejects/{load_id}", response_class=HTMLResponse, name="rejects_load_page")
def rejects_load_page(
    request: Request,
    cur: CursorDep,
    load_id: str,
    page: PageParam = 1,
    field: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    detail = load_rejects(cur, load_id[:100], column=field, page=page, page_size=LINES_PER_PAGE)
    pages = max(1, (detail.total + LINES_PER_PAGE - 1) // LINES_PER_PAGE)
    return templates.TemplateResponse(
        request,
        "rejects_load.html",
        {"d": detail, "pages": pages, **_pager(request, page, pages)},
    )


def _pager(request: Request, page: int, pages: int) -> dict[str, str | None]:
    return {
        "prev_url": url_with(request, page=page - 1) if page > 1 else None,
        "next_url": url_with(request, page=page + 1) if page < pages else None,
    }
