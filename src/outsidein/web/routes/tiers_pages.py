"""``/tiers`` and ``/advocates``: the dashboard's touch-tier and advocate pages.

They show :func:`outsidein.tiers.read.report` and :func:`outsidein.tiers.advocates.advocates`
as they are (docs/tiers.md#pages); a CSM sees their own book (``BookDep``), others may narrow
to one CSM.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.tiers import read
from outsidein.tiers.advocates import advocates as find_advocates
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam, CsmParam
from outsidein.web.queries.accounts import csm_names
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/tiers", response_class=HTMLResponse, name="tiers_page")
def tiers_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep,
    csm: CsmParam = None, as_of: AsOfParam = None,
) -> Response:  # fmt: skip
    r = read.report(cur, config.tiers, as_of, csm=book.csm(csm))
    labels = {t.name: t.label for t in config.tiers.tiers}
    return templates.TemplateResponse(
        request,
        "tiers.html",
        {
            "r": r,
            "c": r.coverage,
            "labels": labels,
            "currency": config.analytics.reporting_currency,
            "csm": book.csm(csm),
            "csm_names": book.names(csm_names(cur)),
        },
    )


@router.get("/advocates", response_class=HTMLResponse, name="advocates_page")
def advocates_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep,
    csm: CsmParam = None, as_of: AsOfParam = None,
) -> Response:  # fmt: skip
    day = read.resolve_day(as_of)
    scope = book.csm(csm)
    found = find_advocates(
        cur, day, config.advocates, key_features=len(config.analytics.key_features), csm=scope
    )
    return templates.TemplateResponse(
        request,
        "advocates.html",
        {
            "as_of": day,
            "found": found,
            "rules": config.advocates,
            "csm": scope,
            "csm_names": book.names(csm_names(cur)),
        },
    )
