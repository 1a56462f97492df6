"""``/api/v1/metrics/...``: revenue, retention and usage metrics as JSON.

Every report takes the same scope parameters (``from``, ``as_of``, ``segment``, ``region``,
``csm``) and answers ``{"report", "first", "as_of", "currency", "columns", "rows"}``; money is
an exact decimal string, ratios are numbers, dates ISO text. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field

from outsidein.analytics import AnalyticsConfig, SnapshotRefresher
from outsidein.analytics.refresher import OUTPUTS as SNAPSHOT_TABLES
from outsidein.analytics.today import report_dates
from outsidein.pipeline import Step
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import AnalyticsConfigDep, CursorDep
from outsidein.web.queries import metrics as q
from outsidein.web.schemas.errors import ErrorResponse


def _steps(app: FastAPI) -> list[Step]:
    """Keeps a built daily snapshot current while the server runs (docs/metrics.md)."""
    refresher = SnapshotRefresher(
        app.state.store.cursor, lambda: app.state.config.current.config.analytics
    )
    app.state.snapshots = refresher
    return [refresher.step(app.state.config.current.config.analytics.snapshot_refresh_seconds)]


router = APIRouter(prefix="/metrics", tags=["metrics"], lifespan=with_steps(_steps))

USAGE_MAX = 5000  # rows in one page of /metrics/usage
GrainParam = Annotated[str, Query(pattern="^(day|week|month)$", description="day, week or month")]
ConfigDep = AnalyticsConfigDep


def scope(
    cur: CursorDep,
    first: Annotated[
        date | None, Query(alias="from", description="First period [11 months before as_of]")
    ] = None,
    as_of: Annotated[
        date | None,
        Query(
            description="The report's day, not after today [today (UTC) or the data's last "
            "day, whichever is earlier]"
        ),
    ] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    region: Annotated[str | None, Query(max_length=200)] = None,
    csm: Annotated[str | None, Query(max_length=200, description="CSM id")] = None,
) -> q.Scope:
    return q.Scope.of(cur, first, as_of, segment, region, csm)


ScopeDep = Annotated[q.Scope, Depends(scope)]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid parameter or missing currency rate"}
}


class MetricTable(BaseModel):
    """One report: its rows, with the scope it was computed for."""

    report: str
    first: date
    as_of: date
    data_last_day: date | None = Field(
        description="The latest event, touchpoint, case or invoice day in the store."
    )
    notice: str | None = Field(
        description="Set when as_of defaulted to the data's last day instead of today."
    )
    filters: dict[str, str] = Field(description="The account filters in effect.")
    currency: str = Field(description="Reporting currency of every money column.")
    columns: list[str]
    rows: list[dict[str, Any]]


def _table(name: str, table: Any, where: q.Scope, config: AnalyticsConfig) -> MetricTable:
    return MetricTable(
        report=name,
        first=where.first,
        as_of=where.as_of,
        data_last_day=where.dates.data_last_day,
        notice=where.dates.notice,
        filters=where.filters,
        currency=config.reporting_currency,
        columns=table.column_names,
        rows=q.json_rows(table),
    )


def _answer(
    name: str, cur: CursorDep, report: q.Report, where: q.Scope, config: AnalyticsConfig
) -> MetricTable:
    return _table(name, q.run(cur, report, where, config), where, config)


@router.get("/mrr", response_model=MetricTable, responses=ERRORS, summary="MRR and ARR")
def mrr(
    cur: CursorDep, where: ScopeDep, config: ConfigDep, grain: GrainParam = "month"
) -> MetricTable:
    """MRR, ARR and paying customers at the close of each period."""
    return _answer("mrr", cur, q.mrr(grain), where, config)


@router.get("/bridge", response_model=MetricTable, responses=ERRORS, summary="MRR bridge")
def bridge(
    cur: CursorDep, where: ScopeDep, config: ConfigDep, grain: GrainParam = "month"
) -> MetricTable:
    """Opening MRR, new, expansion, contraction, churned, reactivated, closing MRR."""
    return _answer("bridge", cur, q.bridge(grain), where, config)


@router.get("/retention", response_model=MetricTable, responses=ERRORS, summary="NRR, GRR, churn")
def retention(cur: CursorDep, where: ScopeDep, config: ConfigDep) -> MetricTable:
    """Trailing-12-month NRR and GRR per month, with monthly churn rates and annual scaling."""
    return _answer("retention", cur, q.retention, where, config)


@router.get("/cohorts", response_model=MetricTable, responses=ERRORS, summary="Cohort matrix")
def cohorts(cur: CursorDep, where: ScopeDep, config: ConfigDep) -> MetricTable:
    """Cohorts by first paid month: logo and revenue retention at each age in months."""
    return _answer("cohorts", cur, q.cohorts, where, config)


@router.get("/renewals", response_model=MetricTable, responses=ERRORS, summary="Renewals")
def renewals(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    days: Annotated[int | None, Query(ge=1, le=3660, description="[renewal_days]")] = None,
    include_monthly: Annotated[
        bool, Query(description="Also list month-to-month (evergreen monthly) contracts")
    ] = False,
) -> MetricTable:
    """Term contracts renewing in the next ``days`` days after ``as_of``, one row per contract
    with its renewal date (from the contract) and ARR at stake."""
    return _answer("renewals", cur, q.upcoming(days, include_monthly), where, config)


@router.get("/usage", response_model=MetricTable, responses=ERRORS, summary="Usage per account")
def usage(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    account: Annotated[str | None, Query(max_length=200, description="One account")] = None,
    limit: Annotated[int, Query(ge=1, le=USAGE_MAX, description="Rows per page")] = 500,
    offset: Annotated[int, Query(ge=0, description="Rows to skip")] = 0,
) -> MetricTable:
    """Usage per account on ``as_of`` over the configured trailing windows, in account order,
    one page at a time: fewer than ``limit`` rows means the last page."""
    return _answer("usage", cur, q.usage(account, limit, offset), where, config)


@router.get("/features", response_model=MetricTable, responses=ERRORS, summary="Feature counts")
def features(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    account: Annotated[str | None, Query(max_length=200)] = None,
    window: Annotated[int, Query(ge=1, le=366)] = 28,
) -> MetricTable:
    """Events and distinct users per account and event in the window ending ``as_of``."""
    return _answer("features", cur, q.features(account, window), where, config)


@router.get(
    "/usage/trend",
    response_model=MetricTable,
    responses={404: {"model": ErrorResponse, "description": "No snapshot built yet"}},
    summary="Daily usage trend",
)
def usage_trend(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> MetricTable:
    """Company-wide daily usage from the stored daily snapshot."""
    return _table("usage_trend", q.usage_trend(cur, days, where), where, config)


class SnapshotRun(BaseModel):
    """What bringing the daily snapshot up to date did."""

    mode: str
    reason: str
    first_date: date
    last_date: date
    accounts: int
    rows: int
    new_events: int
    seconds: float


@router.post("/snapshot", response_model=SnapshotRun, summary="Update the daily snapshot")
def snapshot(
    request: Request,
    as_of: Annotated[date | None, Query(description="[today, UTC]")] = None,
) -> SnapshotRun:
    """Recompute what changed in ``account_daily_metrics`` (the first call builds it).

    While the server runs, a built snapshot is also kept current in the background every
    ``analytics.snapshot_refresh_seconds``; this call and that never run at once.
    """
    if as_of is not None:
        report_dates(None, as_of, data_last_day=None)  # refuses a future or ancient day
    refresher: SnapshotRefresher = request.app.state.snapshots
    result = refresher.run(as_of)
    pipeline_of(request.app).mark(*SNAPSHOT_TABLES)  # what reads the snapshot runs next
    return SnapshotRun(**asdict(result))
