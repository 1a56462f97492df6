"""``/api/v1/jobs/...``: opportunity scores, trends, needs segments, survey waves and the
jobs catalog (docs/jobs.md#api).

Everything is read from :mod:`outsidein.jobs`; a CSM's scores come from their own book's
respondents (``BookDep``). Needs segments are fitted on every respondent, so they are for
managers and above. Mounted before ``/api/v1/jobs/{job_id}`` (long work), whose ids are hex.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException

from outsidein.auth.roles import Role
from outsidein.jobs.answers import waves
from outsidein.jobs.business import churn_link
from outsidein.jobs.catalog import read_catalog
from outsidein.jobs.landscape import trends
from outsidein.jobs.service import landscape, needs_segments
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.schemas.errors import refused
from outsidein.web.schemas.outcomes import (
    CatalogOut,
    LandscapeOut,
    OutcomeLinkOut,
    SegmentationOut,
    TrendOut,
    WaveOut,
)

router = APIRouter(prefix="/jobs", tags=["jobs to be done"])

ByParam = Annotated[
    Literal["segment", "tier", "account", "needs"] | None,
    Query(description="Split by account segment, touch tier, account or needs segment"),
]
GroupParam = Annotated[
    str | None, Query(max_length=200, description="The group of `by` to show [the first]")
]
SurveyParam = Annotated[
    str | None, Query(max_length=200, description="An outcome survey (wave) [the latest]")
]
TrendByParam = Annotated[
    Literal["segment", "tier", "account"] | None,
    Query(description="Split by account segment, touch tier or account"),
]
AroundParam = Annotated[
    date | None,
    Query(description="A day (a release, a playbook's start): compare the waves either side"),
]


@router.get(
    "/opportunities",
    response_model=LandscapeOut,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("an unknown survey"),
    summary="Opportunity scores of every outcome, with intervals and respondent counts",
)
def opportunities(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    by: ByParam = None,
    group: GroupParam = None,
    survey: SurveyParam = None,
) -> LandscapeOut:
    """Importance, satisfaction (top-two-box share x 10) and opportunity per outcome, highest
    opportunity first; below the minimum respondents a score is "too few respondents"."""
    found = landscape(cur, config, by=by, group=group, survey=survey, csm=book.csm(None),
                      db=request.app.state.db_path)  # fmt: skip
    return LandscapeOut.of(found)


@router.get(
    "/trends",
    response_model=list[TrendOut],
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an unknown survey, no wave on both sides of `around`"),
    summary="How each outcome's scores changed between two survey waves",
)
def outcome_trends(
    cur: CursorDep,
    before: SurveyParam = None,
    after: SurveyParam = None,
    by: TrendByParam = None,
    around: AroundParam = None,
) -> list[TrendOut]:
    """After minus before [the last two waves; `around`: the waves either side of a day, a
    release or a playbook's start], with 95 % intervals, per group of `by` when given;
    largest rise first."""
    return [TrendOut.of(t) for t in trends(cur, before=before, after=after, by=by, around=around)]


@router.get(
    "/segments",
    response_model=SegmentationOut,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an unknown survey, too few respondents to segment"),
    summary="Needs-based segments with their stability and profile",
)
def segments(
    request: Request, cur: CursorDep, config: ConfigDep, survey: SurveyParam = None
) -> SegmentationOut:
    found = needs_segments(cur, config, survey=survey, db=request.app.state.db_path)
    return SegmentationOut.of(found)


@router.get(
    "/surveys",
    response_model=list[WaveOut],
    dependencies=[requires(Role.VIEWER)],
    summary="The outcome survey waves",
)
def surveys(cur: CursorDep) -> list[WaveOut]:
    return [WaveOut.of(w) for w in waves(cur)]


@router.get(
    "/catalog",
    response_model=CatalogOut,
    dependencies=[requires(Role.VIEWER)],
    summary="The jobs catalog: jobs, steps, outcome statements with their parts and warnings",
)
def catalog(cur: CursorDep) -> CatalogOut:
    return CatalogOut(jobs=read_catalog(cur))


@router.get(
    "/churn-link",
    response_model=list[OutcomeLinkOut],
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an unknown survey"),
    summary="Which unmet outcomes cost revenue: churn of unsatisfied against satisfied accounts",
)
def outcome_churn_link(
    cur: CursorDep, config: ConfigDep, survey: SurveyParam = None
) -> list[OutcomeLinkOut]:
    """Per outcome of ``survey`` [the earliest wave], the churn rate today of accounts not
    satisfied with it minus that of satisfied ones, with a 95 % interval; largest first."""
    return [OutcomeLinkOut.of(x) for x in churn_link(cur, config, survey=survey)]


def _get_only() -> None:
    """405: these paths answer GET only. Without it, ``DELETE /api/v1/jobs/catalog`` would
    reach ``DELETE /api/v1/jobs/{job_id}`` (long work) and fail there as a bad job id."""
    raise HTTPException(status_code=405, headers={"Allow": "GET"})


for _path in ("/opportunities", "/trends", "/segments", "/surveys", "/catalog", "/churn-link"):
    router.add_api_route(_path, _get_only, methods=["DELETE"], include_in_schema=False)
