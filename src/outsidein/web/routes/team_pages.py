"""``/team`` and ``/team/{csm_id}``: the dashboard's team page and one CSM's book.

They show :func:`outsidein.team.team_report` as it is (docs/team.md#pages), read as the API
reads it; a CSM sees their own book (``BookDep``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.web import health_view
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam
from outsidein.web.queries.accounts import csm_names
from outsidein.web.routes.team import CsmPath, read_team
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/team", response_class=HTMLResponse, name="team_page")
def team_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep, as_of: AsOfParam = None
) -> Response:
    r = read_team(cur, config, book, as_of)
    names = book.names(csm_names(cur))
    name = "team_book.html" if r.csm is not None else "team.html"
    return templates.TemplateResponse(
        request,
        name,
        {"r": r, "csm_names": names, "band_kinds": health_view.band_kinds(config.health)},
    )


@router.get("/team/{csm_id}", response_class=HTMLResponse, name="team_book_page")
def team_book_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep, csm_id: CsmPath,
    as_of: AsOfParam = None,
) -> Response:  # fmt: skip
    r = read_team(cur, config, book, as_of, csm_id)
    names = book.names(csm_names(cur))
    return templates.TemplateResponse(
        request,
        "team_book.html",
        {"r": r, "csm_names": names, "band_kinds": health_view.band_kinds(config.health)},
    )
