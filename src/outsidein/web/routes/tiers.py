"""``/api/v1/tiers`` and ``/api/v1/advocates``: touch tiers with their coverage, and advocate
candidates with their champion.

Tiers are read as stored (:mod:`outsidein.tiers.read`), kept current by the section's
pipeline step ``tiers`` while the server runs; advocates by :func:`outsidein.tiers.advocates`.
A CSM sees their own book (``BookDep``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query

from outsidein.auth.roles import Role
from outsidein.pipeline import Step
from outsidein.tiers import read
from outsidein.tiers.advocates import advocates as find_advocates
from outsidein.tiers.step import TiersStep
from outsidein.web.access import BookDep, requires
from outsidein.web.background import with_steps
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam, CsmParam, PageParam, PageSizeParam
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.tiers import AccountTierOut, AdvocateList, TierAccountList, TiersOut


def _steps(app: FastAPI) -> list[Step]:
    """Keeps tiers current while the server runs (docs/tiers.md#history)."""
    step = TiersStep(lambda: app.state.config.current.config)
    app.state.tiers_step = step
    return [step.step(min_gap=1.0)]


router = APIRouter(tags=["tiers"], lifespan=with_steps(_steps))

TierParam = Annotated[str | None, Query(min_length=1, max_length=40, description="A tier name")]
LimitParam = Annotated[int, Query(ge=1, le=1000, description="Candidates to return")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such account"}
}


@router.get(
    "/tiers",
    response_model=TiersOut,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("as_of in the future, a CSM asking for another book"),
    summary="Tier counts, ARR per tier and coverage per CSM",
)
def tiers(cur: CursorDep, config: ConfigDep, book: BookDep, csm: CsmParam = None,
          as_of: AsOfParam = None) -> TiersOut:  # fmt: skip
    """The tiers in force on ``as_of`` [today]: accounts and ARR per tier, CSMs needed by the
    configured accounts per CSM against those holding the book, each CSM's load."""
    found = read.report(cur, config.tiers, as_of, csm=book.csm(csm))
    return TiersOut.of(found, config.analytics.reporting_currency)


@router.get(
    "/tiers/accounts",
    response_model=TierAccountList,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("as_of in the future, a CSM asking for another book"),
    summary="The customers of a tier, highest ARR first",
)
def tier_accounts(
    cur: CursorDep,
    book: BookDep,
    tier: TierParam = None,
    csm: CsmParam = None,
    as_of: AsOfParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> TierAccountList:
    found = read.list_accounts(
        cur, as_of, tier=tier, csm=book.csm(csm), page=page, page_size=page_size
    )
    return TierAccountList.of(found)


@router.get(
    "/tiers/accounts/{account_id}",
    response_model=AccountTierOut,
    dependencies=[requires(Role.VIEWER)],
    responses={**NOT_FOUND, **refused("as_of in the future")},
    summary="One account's tier and its history",
)
def account_tier(cur: CursorDep, account_id: str, as_of: AsOfParam = None) -> AccountTierOut:
    return AccountTierOut.of(read.account_tier(cur, account_id, as_of))


@router.get(
    "/advocates",
    response_model=AdvocateList,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("as_of in the future, a CSM asking for another book"),
    summary="Advocate candidates: healthy promoters with broad adoption, and their champion",
)
def advocate_list(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    csm: CsmParam = None,
    as_of: AsOfParam = None,
    limit: LimitParam = 100,
) -> AdvocateList:
    """Candidates on ``as_of`` [today], healthiest first, each with its reason; ``total``
    counts them all, ``advocates`` holds the first ``limit``."""
    day = read.resolve_day(as_of)
    scope = book.csm(csm)
    found = find_advocates(
        cur, day, config.advocates, key_features=len(config.analytics.key_features), csm=scope
    )
    out = AdvocateList.of(day, scope, found)
    return out.model_copy(update={"advocates": out.advocates[:limit]})
