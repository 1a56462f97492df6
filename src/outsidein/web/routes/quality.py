"""Data quality and churn as the CRM records it: ``GET /api/v1/quality``,
``GET /api/v1/churn/reasons``, ``GET /api/v1/churn/disagreements`` and the ``/quality`` page.

The checks are :mod:`outsidein.quality`'s, the churn figures
:mod:`outsidein.analytics.churn`'s; ``outsidein quality`` and ``outsidein churn`` print the
same answers. They list accounts across every book, so they are a manager's view.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.analytics.churn import BY, GRAINS
from outsidein.auth.roles import Role
from outsidein.quality import CHECKS
from outsidein.web.access import requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import IsoDate
from outsidein.web.queries.quality import churn_json, quality_json, report_dates_of
from outsidein.web.schemas.errors import refused
from outsidein.web.templating import templates

router = APIRouter(tags=["quality"], dependencies=[requires(Role.MANAGER)])
pages = APIRouter(include_in_schema=False, dependencies=[requires(Role.MANAGER)])

CheckName = Annotated[
    Literal[
        "overlapping_subscriptions",
        "unknown_accounts",
        "subscriptions_without_invoices",
        "invoices_without_subscription",
        "accounts_without_owner",
    ]
    | None,
    Query(description="Only this check"),
]
Limit = Annotated[int, Query(ge=0, le=500, description="Findings listed per check")]
Grain = Annotated[Literal["month", "quarter", "year"], Query(description="Period")]
By = Annotated[
    Literal["segment", "region", "industry", "csm_id"], Query(description="Accounts grouped by")
]
REFUSED = refused("as_of after today, from after as_of, or a day before 1900-01-01")
assert set(get_args(get_args(get_args(CheckName)[0])[0])) == {c.name for c in CHECKS}
assert get_args(get_args(Grain)[0]) == tuple(GRAINS) and get_args(get_args(By)[0]) == BY


@router.get(
    "/quality",
    responses=REFUSED,
    summary="Data-quality checks: counts, explanations, first findings",
)
def get_quality(
    cur: CursorDep, config: ConfigDep, check: CheckName = None, limit: Limit = 50
) -> dict[str, Any]:
    return quality_json(cur, config.sources, limit, check)


@router.get(
    "/churn", responses=REFUSED, summary="Churn reasons by period and segment; CRM vs revenue"
)
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
    grain: Annotated[str, Query(max_length=20)] = "",
    by: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The page's selects offer "All" (empty): the defaults then, quarter and segment."""
    checks = quality_json(cur, config.sources, 20, None)["checks"]
    dates = report_dates_of(cur, None, None)
    grain = grain if grain in GRAINS else "quarter"
    by = by if by in BY else "segment"
    churn = churn_json(cur, config.analytics, dates, grain, by)
    return templates.TemplateResponse(
        request,
        "quality.html",
        {"checks": checks, "churn": churn, "grains": list(GRAINS), "bys": list(BY)},
    )
