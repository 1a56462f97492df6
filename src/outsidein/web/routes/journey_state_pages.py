"""``/journey/interruptions``: where journeys break, listed with evidence and aggregated by
function and stage; and the account page's journey section (stage, time in stage, history,
open interruptions). Both read :mod:`outsidein.journey.report` as the API does; a CSM sees
their own book (``BookDep``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.journey.report import end_of, interruptions_report
from outsidein.settings.journey import FUNCTION_NAMES, INTERRUPTION_KINDS
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)

Filter = Annotated[str | None, Query(max_length=40)]
SHOWN = 300  # rows listed on the page; the API and CLI give them all


def _blank(value: str | None) -> str | None:
    return value or None  # a filter form sends "" for All


@router.get("/journey/interruptions", response_class=HTMLResponse, name="interruptions_page")
def interruptions_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    kind: Filter = None,
    function: Filter = None,
    stage: Filter = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    days: Annotated[int, Query(ge=1, le=3650)] = 90,
    open_only: Annotated[str | None, Query(alias="open", max_length=5)] = None,
    as_of: AsOfParam = None,
) -> Response:
    kind, function, stage, account_id = map(_blank, (kind, function, stage, account_id))
    report = interruptions_report(
        cur, config.journey, end_of(cur, as_of), days=days, csm=book.csm(None),
        accounts=[account_id] if account_id else None,
        kind=kind if kind in INTERRUPTION_KINDS else None, function=function, stage=stage,
        open_only=bool(open_only), limit=SHOWN,
    )  # fmt: skip
    return templates.TemplateResponse(
        request,
        "journey_interruptions.html",
        {
            "r": report,
            "kinds": INTERRUPTION_KINDS,
            "functions": FUNCTION_NAMES,
            "stages": [s.name for s in config.journey.map()] + ["left"],
            "f": {"kind": kind, "function": function, "stage": stage, "account_id": account_id,
                  "open": bool(open_only), "days": days},
            "shown": SHOWN,
        },
    )  # fmt: skip
