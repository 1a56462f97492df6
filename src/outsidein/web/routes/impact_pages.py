"""``/impact`` and ``/impact/{playbook}``: plays ranked by measured effect, and one play.

They show what ``/api/v1/impact`` returns (:func:`outsidein.web.routes.impact.ranked` and
``drill_in``), with the event study drawn by the charting layer (docs/impact.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.impact.models import OUTCOMES
from outsidein.web import charts
from outsidein.web.access import BookDep
from outsidein.web.deps import CursorDep
from outsidein.web.routes.impact import PlaybookName, drill_in, ranked
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)
ACCOUNTS_SHOWN = 100


@router.get("/impact", response_class=HTMLResponse, name="impact_page")
def impact_page(request: Request, cur: CursorDep) -> Response:
    return templates.TemplateResponse(
        request, "impact.html", {"r": ranked(cur), "outcomes": OUTCOMES}
    )


@router.get("/impact/{playbook}", response_class=HTMLResponse, name="impact_play_page")
def impact_play_page(
    request: Request, cur: CursorDep, book: BookDep, playbook: PlaybookName
) -> Response:
    p = drill_in(cur, playbook, book.csm(None))
    spec = (
        charts.event_study(
            [e.model_dump() for e in p.event_study],
            f"Effect of {p.playbook} on active users by months from the firing, with 95 % "
            "intervals",
            y_title="Active users (28 days)",
        )
        if len(p.event_study) > 1
        else None
    )
    return templates.TemplateResponse(
        request,
        "impact_play.html",
        {"p": p, "chart_spec": spec, "shown": p.accounts[:ACCOUNTS_SHOWN]},
    )
