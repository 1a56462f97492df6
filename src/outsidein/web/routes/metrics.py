"""``/api/v1/metrics/...``: revenue, retention and usage metrics as JSON.

Every report takes the same scope parameters (``from``, ``as_of``, ``segment``, ``region``,
``csm``) and answers ``{"report", "first", "as_of", "currency", "columns", "rows"}``; money is
an exact decimal string, ratios are numbers, dates ISO text. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel

from outsidein.analytics import AnalyticsConfig, SnapshotRefresher
from outsidein.analytics.refresher import OUTPUTS as SNAPSHOT_TABLES
from outsidein.analytics.today import report_dates
from outsidein.auth.roles import Role
from outsidein.pipeline import Step, StepContext
from outsidein.web.access import BookDep, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import AnalyticsConfigDep, CursorDep
from outsidein.web.params import IsoDate
from outsidein.web.queries import metrics as q
from outsidein.web.routes.jobs import jobs_of
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.jobs import JobOut
from outsidein.web.schemas.metrics import (
    AtStakeTable,
    BridgeTable,
    CohortTable,
    FeatureTable,
    MetricTable,
    MrrTable,
    RenewalTable,
    RetentionTable,
    TrendTable,
    UsageTable,
)


def _steps(app: FastAPI) -> list[Step]:
    """Keeps a built daily snapshot current while the server runs (docs/metrics.md)."""
    refresher = SnapshotRefresher(
        app.state.store.cursor, lambda: app.state.config.current.config.analytics
    )
    app.state.snapshots = refresher
    return [refresher.step(app.state.config.current.config.analytics.snapshot_refresh_seconds)]


router = APIRouter(prefix="/metrics", tags=["metrics"], lifespan=with_steps(_steps))

GrainParam = Annotated[str, Query(pattern="^(day|week|month)$", description="day, week or month")]
ConfigDep = AnalyticsConfigDep
T = TypeVar("T", bound=MetricTable[Any])

MAX_ROWS = 5_000


@dataclass(frozen=True)
class Rows:
    """Which rows of a report to answer with: at most :data:`MAX_ROWS` a response."""

    limit: int
    offset: int


def rows_param(
    limit: Annotated[
        int, Query(ge=1, le=MAX_ROWS, description=f"Rows to return, at most {MAX_ROWS:,}")
    ] = MAX_ROWS,
    offset: Annotated[
        int, Query(ge=0, le=100_000_000, description="Rows to skip (see next_offset)")
    ] = 0,
) -> Rows:
    return Rows(limit, offset)


RowsDep = Annotated[Rows, Depends(rows_param)]


def scope(
    cur: CursorDep,
    book: BookDep,
    first: Annotated[
        IsoDate | None, Query(alias="from", description="First period [11 months before as_of]")
    ] = None,
    as_of: Annotated[
        IsoDate | None,
        Query(
            description="The report's day, not after today [today (UTC) or the data's last "
            "day, whichever is earlier]"
        ),
    ] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    region: Annotated[str | None, Query(max_length=200)] = None,
    csm: Annotated[str | None, Query(max_length=200, description="CSM id")] = None,
) -> q.Scope:
    """A CSM's figures cover their own book (web/access.py)."""
    return q.Scope.of(cur, first, as_of, segment, region, book.csm(csm))


ScopeDep = Annotated[q.Scope, Depends(scope)]
ERRORS = refused(
    "as_of after today, from after as_of, a filter value no account has, or a currency "
    "without a configured rate"
)


def _table(
    kind: type[T], name: str, table: Any, where: q.Scope, config: AnalyticsConfig, rows: Rows
) -> T:
    total = int(table.num_rows)
    end = rows.offset + rows.limit
    return kind(
        report=name,
        first=where.first,
        as_of=where.as_of,
        data_last_day=where.dates.data_last_day,
        notice=where.dates.notice,
        filters=where.filters,
        currency=config.reporting_currency,
        columns=table.column_names,
        types={field.name: str(field.type) for field in table.schema},
        rows=q.json_rows(table.slice(rows.offset, rows.limit)),
        total_rows=total,
        offset=rows.offset,
        limit=rows.limit,
        next_offset=end if end < total else None,
    )


def _answer(
    kind: type[T],
    name: str,
    cur: CursorDep,
    report: q.Report,
    where: q.Scope,
    config: AnalyticsConfig,
    rows: Rows,
) -> T:
    return _table(kind, name, q.run(cur, report, where, config), where, config, rows)


@router.get("/mrr", response_model=MrrTable, responses=ERRORS, summary="MRR and ARR")
def mrr(
    cur: CursorDep, where: ScopeDep, config: ConfigDep, rows: RowsDep, grain: GrainParam = "month"
) -> MrrTable:
    """MRR, ARR and paying customers at the close of each period."""
    return _answer(MrrTable, "mrr", cur, q.mrr(grain), where, config, rows)


@router.get("/bridge", response_model=BridgeTable, responses=ERRORS, summary="MRR bridge")
def bridge(
    cur: CursorDep, where: ScopeDep, config: ConfigDep, rows: RowsDep, grain: GrainParam = "month"
) -> BridgeTable:
    """Opening MRR, new, expansion, contraction, churned, reactivated, closing MRR."""
    return _answer(BridgeTable, "bridge", cur, q.bridge(grain), where, config, rows)


@router.get(
    "/retention", response_model=RetentionTable, responses=ERRORS, summary="NRR, GRR, churn"
)
def retention(cur: CursorDep, where: ScopeDep, config: ConfigDep, rows: RowsDep) -> RetentionTable:
    """Trailing-12-month NRR and GRR per month, with monthly churn rates and annual scaling."""
    return _answer(RetentionTable, "retention", cur, q.retention, where, config, rows)


@router.get("/cohorts", response_model=CohortTable, responses=ERRORS, summary="Cohort matrix")
def cohorts(cur: CursorDep, where: ScopeDep, config: ConfigDep, rows: RowsDep) -> CohortTable:
    """Cohorts by first paid month: logo and revenue retention at each age in months."""
    return _answer(CohortTable, "cohorts", cur, q.cohorts, where, config, rows)


@router.get("/renewals", response_model=RenewalTable, responses=ERRORS, summary="Renewals")
def renewals(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    rows: RowsDep,
    days: Annotated[int | None, Query(ge=1, le=3660, description="[renewal_days]")] = None,
    include_monthly: Annotated[
        bool, Query(description="Also list month-to-month (evergreen monthly) contracts")
    ] = False,
) -> RenewalTable:
    """Term contracts renewing in the next ``days`` days after ``as_of``, one row per contract
    with its renewal date (from the contract) and ARR at stake."""
    return _answer(
        RenewalTable, "renewals", cur, q.upcoming(days, include_monthly), where, config, rows
    )


@router.get("/at_stake", response_model=AtStakeTable, responses=ERRORS, summary="ARR at stake")
def at_stake(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    days: Annotated[int | None, Query(ge=1, le=3660, description="[renewal_days]")] = None,
    include_monthly: Annotated[
        bool, Query(description="Also count month-to-month (evergreen monthly) contracts")
    ] = False,
) -> AtStakeTable:
    """The renewals' total: one row, the contracts and the ARR renewing in ``days`` days."""
    return _answer(
        AtStakeTable, "at_stake", cur, q.at_stake(days, include_monthly), where, config, Rows(1, 0)
    )


@router.get("/usage", response_model=UsageTable, responses=ERRORS, summary="Usage per account")
def usage(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    rows: RowsDep,
    account: Annotated[str | None, Query(max_length=200, description="One account")] = None,
) -> UsageTable:
    """Usage per account on ``as_of`` over the configured trailing windows."""
    return _answer(UsageTable, "usage", cur, q.usage(account), where, config, rows)


@router.get("/features", response_model=FeatureTable, responses=ERRORS, summary="Feature counts")
def features(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    rows: RowsDep,
    account: Annotated[str | None, Query(max_length=200)] = None,
    window: Annotated[int, Query(ge=1, le=366)] = 28,
) -> FeatureTable:
    """Events and distinct users per account and event in the window ending ``as_of``."""
    return _answer(FeatureTable, "features", cur, q.features(account, window), where, config, rows)


@router.get(
    "/usage/trend",
    response_model=TrendTable,
    responses={
        **ERRORS,
        404: {"model": ErrorResponse, "description": "No snapshot built yet"},
    },
    summary="Daily usage trend",
)
def usage_trend(
    cur: CursorDep,
    where: ScopeDep,
    config: ConfigDep,
    rows: RowsDep,
    days: Annotated[int, Query(ge=1, le=3660)] = 90,
) -> TrendTable:
    """Company-wide daily usage from the stored daily snapshot."""
    return _table(TrendTable, "usage_trend", q.usage_trend(cur, days, where), where, config, rows)


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


@router.post(
    "/snapshot",
    dependencies=[requires(Role.MANAGER)],
    status_code=202,
    response_model=JobOut,
    responses={
        **refused("as_of after today or before 1900"),
        429: {"model": ErrorResponse, "description": "Too many jobs waiting"},
    },
    summary="Update the daily snapshot (a job)",
)
def snapshot(
    request: Request,
    response: Response,
    as_of: Annotated[IsoDate | None, Query(description="Not after today [today, UTC]")] = None,
) -> JobOut:
    """Start recomputing what changed in ``account_daily_metrics`` (the first call builds it)
    as a job: 202 with its id; ``GET /api/v1/jobs/{id}`` gives its status and, when done,
    a ``SnapshotRun`` as ``result``; ``POST /api/v1/jobs/{id}/cancel`` stops it.

    While the server runs, a built snapshot is also kept current in the background every
    ``analytics.snapshot_refresh_seconds``; this job and that never run at once.
    """
    if as_of is not None:
        report_dates(None, as_of, data_last_day=None)  # refuses a future or ancient day
    refresher: SnapshotRefresher = request.app.state.snapshots
    pipeline = pipeline_of(request.app)

    def work(ctx: StepContext) -> dict[str, Any]:
        result = refresher.run(as_of, ctx)
        pipeline.mark(*SNAPSHOT_TABLES)  # what reads the snapshot runs next
        return SnapshotRun(**asdict(result)).model_dump(mode="json")

    params = {"as_of": as_of.isoformat() if as_of else None}
    job = jobs_of(request.app).submit("snapshot", work, params)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobOut.of(job)
