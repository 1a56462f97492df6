"""``/api/v1/journey/...``: the journey as the data shows it (docs/journey.md).

The numbers are :mod:`outsidein.journey`'s, the same as ``outsidein journey ...`` prints. A
CSM sees their own book (``BookDep``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from outsidein.analytics.today import utc_today
from outsidein.auth.roles import Role
from outsidein.journey.interruptions import broken_handoffs
from outsidein.journey.store_log import touchpoint_log
from outsidein.journey.summary import discovery_summary
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam, IsoDate
from outsidein.web.schemas.errors import refused
from outsidein.web.schemas.journey import BrokenHandoffList, BrokenHandoffOut, DiscoveryOut

router = APIRouter(tags=["journey"])

DayParam = Annotated[IsoDate | None, Query(description="A day, YYYY-MM-DD")]
TopParam = Annotated[int, Query(ge=1, le=1000, description="Edges and variants returned")]


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
    activity: Annotated[
        Literal["function_channel", "channel", "function", "stage"],
        Query(description="What a step is"),
    ] = "function_channel",
    since: DayParam = None,
    until: DayParam = None,
    top: TopParam = 20,
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
