"""``GET /api/v1/my-day``: what a CSM should act on today, panel by panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from outsidein.myday import DAYS, LIMIT, MyDay, my_day
from outsidein.myday.service import MAX_DAYS, MAX_LIMIT
from outsidein.web.access import BookDep
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam, CsmParam
from outsidein.web.schemas.errors import refused

router = APIRouter(tags=["my day"])

DaysParam = Annotated[
    int, Query(ge=1, le=MAX_DAYS, description="Days ahead (renewals) and back (the rest)")
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items listed per panel")]


@router.get(
    "/my-day",
    response_model=MyDay,
    summary="What needs the caller today: renewals, quiet accounts, drops, detractors, cases",
    responses=refused("as_of after today"),
)
def get_my_day(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    csm: CsmParam = None,
    days: DaysParam = DAYS,
    limit: LimitParam = LIMIT,
    as_of: AsOfParam = None,
) -> MyDay:
    """A CSM gets their book (asking for another's is refused); a manager or admin gets the
    CSM named by ``csm``, else every account. Each item links to its account."""
    return my_day(cur, config, csm=book.csm(csm), days=days, limit=limit, as_of=as_of)
