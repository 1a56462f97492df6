"""``/my-day``: a CSM's home page, the panels of :func:`outsidein.myday.my_day`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.myday import DAYS, my_day
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import CsmParam
from outsidein.web.queries.accounts import csm_names
from outsidein.web.routes.myday import DaysParam
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/my-day", response_class=HTMLResponse, name="my_day_page")
def my_day_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    csm: CsmParam = None,
    days: DaysParam = DAYS,
) -> Response:
    chosen = book.csm((csm or "").strip() or None)
    day = my_day(cur, config, csm=chosen, days=days)
    return templates.TemplateResponse(
        request,
        "my_day.html",
        {
            "day": day,
            "csm": chosen,
            "mine": book.csm_id is not None,
            "csm_names": book.names(csm_names(cur)),
            "day_choices": (7, 14, 30, 60, 90),
        },
    )
