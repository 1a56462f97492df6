"""``/api/v1/journey/...``: the journey as the data shows it (docs/journey.md).

The numbers are :mod:`outsidein.journey`'s, the same as ``outsidein journey ...`` prints. A
CSM sees their own book (``BookDep``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from outsidein.analytics.today import utc_today
from outsidein.auth.roles import Role
from outsidein.journey.blueprint import Blueprint, blueprint
from outsidein.journey.churn_paths import churn_paths
from outsidein.journey.interruptions import broken_handoffs
from outsidein.journey.store_log import handovers, stage_funnel, touchpoint_log
from outsidein.journey.summary import discovery_summary
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam, IsoDate
from outsidein.web.schemas.errors import refused
from outsidein.web.schemas.journey import (
    BlueprintOut,
    BrokenHandoffList,
    BrokenHandoffOut,
    ChurnPathOut,
    DiscoveryOut,
    FunnelOut,
    HandoverOut,
)

router = APIRouter(tags=["journey"])

DayParam = Annotated[IsoDate | None, Query(description="A day, YYYY-MM-DD")]
TopParam = Annotated[int, Query(ge=1, le=1000, description="Edges and variants returned")]
ActivityParam = Annotated[
    Literal["function_channel", "channel", "function", "stage"],
    Query(description="What a step is"),
]
SegmentParam = Annotated[
    str | None,
    Query(max_length=200, pattern=r"^[^\x00-\x1f]*$", description="Accounts of this segment"),
]


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, datetime.min.time())


@router.get(
    "/journey/discover",
    response_model=DiscoveryOut,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("a CSM asking for another book"),
    summary="Directly-follows graph with times between steps, and variants",
)
def discover(
    cur: CursorDep,
    book: BookDep,
    case: Annotated[Literal["account", "case"], Query(description="What a case is")] = "account",
    activity: ActivityParam = "function_channel",
    since: DayParam = None,
    until: DayParam = None,
    top: TopParam = 20,
    segment: SegmentParam = None,
) -> DiscoveryOut:
    """The touchpoints' journey: each account's (or support case's) touchpoints in time
    order, from ``since`` to before ``until``."""
    log = touchpoint_log(
        cur,
        case=case,
        activity=activity,
        since=_start(since),
        until=_start(until),
        csm=book.csm(None),
        segment=segment,
    )
    return DiscoveryOut.model_validate(discovery_summary(log, top))


@router.get(
    "/journey/broken-handoffs",
    response_model=BrokenHandoffList,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("as_of in the future, a CSM asking for another book"),
    summary="Hand-offs nobody took up within the journey map's limit, with evidence",
)
def handoffs(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    as_of: AsOfParam = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Rows returned")] = 500,
) -> BrokenHandoffList:
    """Hand-offs whose limit passed before ``as_of`` [today] with nobody taking them up."""
    day = as_of or utc_today()
    found = broken_handoffs(
        cur, config.journey.handoffs, datetime.combine(day, datetime.min.time()), book.csm(None)
    )
    return BrokenHandoffList(
        total=len(found), items=[BrokenHandoffOut.of(b) for b in found[:limit]]
    )


@router.get(
    "/journey/funnel",
    response_model=FunnelOut,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("a CSM asking for another book"),
    summary="The stage funnel: accounts per stage, conversion and drop-off",
)
def funnel(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    since: DayParam = None,
    until: DayParam = None,
    segment: SegmentParam = None,
) -> FunnelOut:
    """Accounts with a touchpoint in each stage of the journey map, and how many went on."""
    steps = stage_funnel(
        cur, config.journey.map(), since=_start(since), until=_start(until),
        segment=segment, csm=book.csm(None),
    )  # fmt: skip
    return FunnelOut.model_validate({"steps": [s.__dict__ for s in steps]})


@router.get(
    "/journey/handovers",
    response_model=list[HandoverOut],
    dependencies=[requires(Role.VIEWER)],
    responses=refused("a CSM asking for another book"),
    summary="The handover-of-work network: cases passed between functions",
)
def handover_network(
    cur: CursorDep,
    book: BookDep,
    since: DayParam = None,
    until: DayParam = None,
    segment: SegmentParam = None,
) -> list[HandoverOut]:
    found = handovers(
        cur, since=_start(since), until=_start(until), segment=segment, csm=book.csm(None)
    )
    return [HandoverOut.model_validate(h.__dict__) for h in found]


@router.get(
    "/journey/churn-paths",
    response_model=list[ChurnPathOut],
    dependencies=[requires(Role.VIEWER)],
    responses=refused("as_of in the future, a CSM asking for another book"),
    summary="The last steps before churn, against the accounts that stayed",
)
def churn_path_list(
    cur: CursorDep,
    book: BookDep,
    as_of: AsOfParam = None,
    steps: Annotated[int, Query(ge=1, le=20, description="Last steps read")] = 3,
    days: Annotated[int, Query(ge=1, le=3660, description="Days before churn")] = 90,
    top: TopParam = 20,
    segment: SegmentParam = None,
    activity: ActivityParam = "function_channel",
) -> list[ChurnPathOut]:
    found = churn_paths(
        cur, as_of or utc_today(), steps=steps, days=days, activity=activity, segment=segment,
        csm=book.csm(None),
    )  # fmt: skip
    return [ChurnPathOut.model_validate({**p.__dict__, "steps": list(p.steps)})
            for p in found[:top]]  # fmt: skip


def blueprint_of(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    since: date | None,
    until: date | None,
    segment: str | None,
    days: int = 30,
) -> Blueprint:
    """The blueprint the route answers (and the page draws) for these filters."""
    return blueprint(
        cur, config.journey.map(), config.journey.handoffs, since=_start(since),
        until=_start(until), segment=segment, csm=book.csm(None), days=days,
    )  # fmt: skip


@router.get(
    "/journey/blueprint",
    response_model=BlueprintOut,
    dependencies=[requires(Role.VIEWER)],
    responses={
        **refused("a CSM asking for another book"),
        200: {
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            "description": "JSON, or the heatmap as SVG with `format=svg`",
        },
    },
    summary="The service blueprint: functions x stages, and where the journey breaks",
)
def service_blueprint(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    since: DayParam = None,
    until: DayParam = None,
    segment: SegmentParam = None,
    days: Annotated[
        int, Query(ge=1, le=365, description="Answers counted this many days after a touchpoint")
    ] = 30,
    format: Annotated[
        Literal["json", "svg"], Query(description="`svg`: the heatmap as an SVG file")
    ] = "json",
) -> BlueprintOut | Response:
    """Per function and stage: touchpoints, failure rate, hand-offs followed up, time to
    respond, NPS and CSAT near the cell; the cells where the journey breaks."""
    bp = blueprint_of(cur, config, book, since, until, segment, days)
    if format == "svg":
        from outsidein.web.journey_charts import blueprint_svg

        return Response(
            blueprint_svg(bp, "Service blueprint"),
            media_type="image/svg+xml",
            headers={"Content-Disposition": 'attachment; filename="blueprint.svg"'},
        )
    return BlueprintOut.model_validate(bp, from_attributes=True)
