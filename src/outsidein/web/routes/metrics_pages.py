"""``/metrics``: the dashboard's Metrics page — MRR bridge, NRR/GRR trend, cohort heatmap,
renewals and usage trend, for a period, as of a day, for all accounts or one segment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.analytics import SnapshotMissingError
from outsidein.web import metrics_view as view
from outsidein.web.access import BookDep
from outsidein.web.deps import AnalyticsConfigDep, CursorDep
from outsidein.web.queries import metrics as q
from outsidein.web.queries.accounts import csm_names
from outsidein.web.routes.metrics import scope
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)

MEASURES = {"logo_retention": "Logos", "nrr": "Net revenue", "grr": "Gross revenue"}


@router.get("/metrics", response_class=HTMLResponse, name="metrics_page")
def metrics_page(
    request: Request,
    cur: CursorDep,
    where: Annotated[q.Scope, Depends(scope)],
    config: AnalyticsConfigDep,
    book: BookDep,
    measure: Annotated[str, Query(pattern="^(logo_retention|nrr|grr)$")] = "logo_retention",
    include_monthly: bool = False,
) -> Response:
    currency = config.reporting_currency
    bridge = q.json_rows(q.run(cur, q.bridge("month"), where, config))
    retention = q.json_rows(q.run(cur, q.retention, where, config))
    cells = q.json_rows(q.run(cur, q.cohorts, where, config))
    renewals = q.json_rows(q.run(cur, q.upcoming(None, include_monthly), where, config))
    at_stake = q.json_rows(q.run(cur, q.at_stake(None, include_monthly), where, config))[0]
    try:
        trend = q.json_rows(q.usage_trend(cur, 90, where))
        trend_missing = None
    except SnapshotMissingError as exc:
        trend, trend_missing = [], exc.message
    latest = bridge[-1] if bridge else None
    # The churn tile shows the last complete month: a running month's churn is partial.
    complete = [r for r in retention if _month_end(r["closing_date"])]
    return templates.TemplateResponse(
        request,
        "metrics.html",
        {
            "where": where,
            "currency": currency,
            "latest": latest,
            "retention_now": retention[-1] if retention else None,
            "churn_now": complete[-1] if complete else None,
            "bridge": bridge,
            "bridge_chart": view.bridge_chart(bridge, currency),
            "retention": retention,
            "retention_chart": view.retention_chart(retention),
            "heatmap": view.heatmap(cells, measure),
            "measure": measure,
            "measures": MEASURES,
            "renewals": renewals,
            "renewal_days": config.renewal_days,
            "at_stake": at_stake,
            "include_monthly": include_monthly,
            "trend": trend,
            "trend_missing": trend_missing,
            "trend_chart": view.trend_chart(trend) if trend else None,
            "today": date.today(),
            "choices": book.choices(where.choices),
            "csm_names": book.names(csm_names(cur)),
        },
    )


def _month_end(day: str) -> bool:
    return (date.fromisoformat(day) + timedelta(days=1)).day == 1
