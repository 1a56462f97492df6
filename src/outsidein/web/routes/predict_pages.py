"""``/predictions``: the portfolio's churn risk and expansion propensity, and the model report.

The page shows :func:`outsidein.predict.scores.summary` and :func:`~outsidein.predict.scores.latest`
as they are (the API's ``/api/v1/predict/summary`` gives the same figures); a CSM sees their
own book. ``/predictions/report`` serves a version's self-contained report (default: the
published churn model's).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.errors import NotFoundError
from outsidein.predict import report, scores, versions
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import CsmParam
from outsidein.web.queries.accounts import csm_names
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)
TOP = 25


@router.get("/predictions", response_class=HTMLResponse, name="predictions_page")
def predictions_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep, csm: CsmParam = None
) -> Response:
    scope = book.csm(csm)
    found = scores.summary(cur, csm=scope)
    top_band = max((b["arr"] for b in found.risk_bands), default=0.0) or 1.0
    top_month = max((m["arr_at_risk"] for m in found.arr_at_risk_by_month), default=0.0) or 1.0
    return templates.TemplateResponse(
        request,
        "predictions.html",
        {
            "s": found,
            "top_band": top_band,
            "top_month": top_month,
            "at_risk": scores.latest(cur, "churn", csm=scope, limit=TOP),
            "expanding": scores.latest(cur, "expansion", csm=scope, limit=TOP),
            "models": versions.list_versions(cur),
            "currency": config.analytics.reporting_currency,
            "csm": scope,
            "csm_names": book.names(csm_names(cur)),
        },
    )


@router.get("/predictions/report", response_class=HTMLResponse, name="prediction_report")
def prediction_report(
    cur: CursorDep, version: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None
) -> Response:
    if version is None:
        current = versions.published(cur, "churn")
        if current is None:
            raise NotFoundError("no published churn model yet: `outsidein predict train`")
        version = current.version
    return HTMLResponse(
        versions.report_html(cur, version), headers={"Content-Security-Policy": report.CSP}
    )
