"""Data quality and churn as the CRM records it: ``GET /api/v1/quality``,
``GET /api/v1/churn/reasons``, ``GET /api/v1/churn/disagreements`` and the ``/quality`` page.

The checks are :mod:`outsidein.quality`'s, the churn figures
:mod:`outsidein.analytics.churn`'s; ``outsidein quality`` and ``outsidein churn`` print the
same answers. They list accounts across every book, so they are a manager's view.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.analytics import AnalyticsConfig, store_sources
from outsidein.analytics.churn import BY, GRAINS, churn_disagreements, churn_reasons
from outsidein.analytics.today import ReportDates, report_dates
from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError
from outsidein.quality import CHECKS, run_checks
from outsidein.settings.sources import SourcesConfig
from outsidein.store.freshness import data_last_day
from outsidein.web.access import requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import IsoDate
from outsidein.web.templating import templates

router = APIRouter(tags=["quality"], dependencies=[requires(Role.MANAGER)])
pages = APIRouter(include_in_schema=False, dependencies=[requires(Role.MANAGER)])

CheckName = Annotated[
    str | None,
    Query(description="Only this check", json_schema_extra={"enum": [c.name for c in CHECKS]}),
]
Limit = Annotated[int, Query(ge=0, le=500, description="Findings listed per check")]
Grain = Annotated[str, Query(description="Period", json_schema_extra={"enum": list(GRAINS)})]
By = Annotated[str, Query(description="Accounts grouped by", json_schema_extra={"enum": list(BY)})]


def quality_json(
    cur: duckdb.DuckDBPyConnection, sources: SourcesConfig, limit: int, only: str | None
) -> dict[str, Any]:
    """Every check (or one) with its count, explanation and first findings."""
    if only is not None and only not in {c.name for c in CHECKS}:
        names = ", ".join(c.name for c in CHECKS)
        raise InvalidRequestError(f"unknown check {only!r}; one of: {names}", field="check")
    results = run_checks(cur, sources, limit=limit, only=only)
    return {"checks": [_jsonable(r.__dict__) for r in results]}


def churn_json(
    cur: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig,
    dates: ReportDates,
    grain: str,
    by: str,
) -> dict[str, Any]:
    """Churn reasons by period and ``by``, and the CRM/revenue disagreements on ``as_of``."""
    sources = store_sources(cur)
    reasons = churn_reasons(sources, config, dates.first, dates.as_of, grain=grain, by=by)
    disagreements = churn_disagreements(sources, config, dates.as_of)
    return {
        "from": dates.first.isoformat(),
        "as_of": dates.as_of.isoformat(),
        "grain": grain,
        "by": by,
        "reasons": [_jsonable(r) for r in reasons.to_pyarrow().to_pylist()],
        "disagreements": [_jsonable(r) for r in disagreements.to_pyarrow().to_pylist()],
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, money as text with its cents (as the other reports answer)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [_jsonable(v) if isinstance(v, dict) else v for v in value]
        elif value is not None and type(value).__name__ == "Decimal":
            out[key] = str(value)
        else:
            out[key] = value
    return out


def report_dates_of(
    cur: duckdb.DuckDBPyConnection, first: date | None, as_of: date | None
) -> ReportDates:
    return report_dates(first, as_of, data_last_day=data_last_day(cur))


@router.get("/quality", summary="Data-quality checks: counts, explanations, first findings")
def get_quality(
    cur: CursorDep, config: ConfigDep, check: CheckName = None, limit: Limit = 50
) -> dict[str, Any]:
    return quality_json(cur, config.sources, limit, check)


@router.get("/churn", summary="Churn reasons by period and segment; CRM vs revenue")
def get_churn(
    cur: CursorDep,
    config: ConfigDep,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    as_of: IsoDate | None = None,
    grain: Grain = "quarter",
    by: By = "segment",
) -> dict[str, Any]:
    return churn_json(cur, config.analytics, report_dates_of(cur, from_, as_of), grain, by)


@pages.get("/quality", response_class=HTMLResponse, name="quality_page")
def quality_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    grain: Grain = "quarter",
    by: By = "segment",
) -> Response:
    checks = quality_json(cur, config.sources, 20, None)["checks"]
    dates = report_dates_of(cur, None, None)
    churn = churn_json(cur, config.analytics, dates, grain or "quarter", by or "segment")
    return templates.TemplateResponse(
        request,
        "quality.html",
        {"checks": checks, "churn": churn, "grains": list(GRAINS), "bys": list(BY)},
    )
