"""``/clv``: customer lifetime value, as ``/api/v1/clv/overview`` and ``/api/v1/clv/holdout``
give it (:func:`outsidein.clv.report.overview`, :func:`outsidein.clv.portfolio.holdout`):
the value distribution, top customers, P(alive) by frequency and recency, the holdout check,
the model family per account, the fits and the contractual cohorts' projected retention."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.clv import portfolio, report
from outsidein.clv.errors import ClvError
from outsidein.clv.holdout import HoldoutCheck
from outsidein.web import charts
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)
HOLDOUT_WEEKS = 26
KINDS = (("transactional", "#0f766e"), ("contractual", "#5eead4"))


@router.get("/clv", response_class=HTMLResponse, name="clv_page")
def clv_page(request: Request, cur: CursorDep, book: BookDep, config: ConfigDep) -> Response:
    r = report.overview(cur, csm=book.csm(None))
    check: HoldoutCheck | None = None
    problem = ""
    if r.as_of is not None:
        try:
            check = portfolio.holdout(cur, r.as_of, HOLDOUT_WEEKS)
        except ClvError as exc:
            problem = str(exc)
    spec = (
        charts.bars(
            r.distribution, "band", "accounts", "kind", KINDS,
            "Accounts per lifetime-value band, one-off buyers and subscribers",
            y_title="Accounts", x_title=f"CLV ({config.analytics.reporting_currency})",
            x_order=list(dict.fromkeys(d["band"] for d in r.distribution)),
        )
        if r.accounts
        else None
    )  # fmt: skip
    cells = {(c["frequency"], c["recency"]): c for c in r.heatmap}
    return templates.TemplateResponse(
        request,
        "clv.html",
        {
            "r": r, "check": check, "problem": problem, "weeks": HOLDOUT_WEEKS,
            "chart_spec": spec, "cells": cells,
            "frequencies": [str(i) for i in range(report.FREQUENCY_BINS - 1)]
            + [f"{report.FREQUENCY_BINS - 1}+"],
            "recencies": [report.recency_label(i) for i in range(len(report.RECENCY_EDGES))],
            "currency": config.analytics.reporting_currency,
        },
    )  # fmt: skip
