"""``/api/v1/accounts``: the account list and one account with its records, as JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request

from outsidein.analytics.usage_history import MAX_HISTORY_DAYS
from outsidein.pipeline import Step
from outsidein.store.last_seen import last_seen_step
from outsidein.web.access import BookDep
from outsidein.web.background import with_steps
from outsidein.web.deps import AnalyticsConfigDep as ConfigDep
from outsidein.web.deps import CursorDep
from outsidein.web.params import (
    AsOfParam,
    CsmParam,
    PageParam,
    PageSizeParam,
    RegionParam,
    SearchParam,
    SegmentParam,
    StatusParam,
    section_pages,
)
from outsidein.web.queries.account_usage import HISTORY_DAYS, account_usage_history
from outsidein.web.queries.accounts import (
    AccountFilters,
    Order,
    SortKey,
    get_account,
    list_accounts,
)
from outsidein.web.queries.custom_fields import custom_params
from outsidein.web.schemas.accounts import AccountDetail, AccountList, AccountUsage
from outsidein.web.schemas.errors import ErrorResponse, refused


def _steps(app: FastAPI) -> list[Step]:
    """Keeps the accounts' "last seen" summary current while the server runs."""
    return [last_seen_step()]


router = APIRouter(prefix="/accounts", tags=["accounts"], lifespan=with_steps(_steps))


@router.get(
    "",
    response_model=AccountList,
    responses=refused("as_of after today, a status or filter value no account has"),
    summary="Search, sort and page accounts",
)
def accounts_list(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    config: ConfigDep,
    q: SearchParam = "",
    sort: SortKey = "name",
    order: Order = "asc",
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
    status: StatusParam = None,
    segment: SegmentParam = None,
    region: RegionParam = None,
    csm: CsmParam = None,
    as_of: AsOfParam = None,
) -> AccountList:
    """``q`` matches account id, name, industry, region and CSM (id or name); filters match
    any case, and an unknown value is refused with the values the data holds.
    ``custom.<name>=<value>`` keeps accounts whose custom field has that value (any case;
    ``GET /api/v1/custom-fields`` lists them)."""
    return list_accounts(
        cur,
        config,
        q=q,
        sort=sort,
        order=order,
        page=page,
        page_size=page_size,
        filters=AccountFilters(status, segment, region, book.csm(csm)),
        as_of=as_of,
        custom=custom_params(request.query_params),
    )


@router.get(
    "/{account_id}",
    response_model=AccountDetail,
    summary="One account with its records",
    responses={
        **refused("as_of after today"),
        404: {"model": ErrorResponse, "description": "No such account"},
    },
)
def account_detail(
    cur: CursorDep,
    config: ConfigDep,
    account_id: str,
    pages: Annotated[dict[str, int], Depends(section_pages)],
    as_of: AsOfParam = None,
    page_size: PageSizeParam = 100,
) -> AccountDetail:
    """Each section lists one page (``<section>_page``, ``page_size`` rows); ``counts`` says
    how many rows each has in all."""
    return get_account(cur, account_id, config, as_of=as_of, pages=pages, page_size=page_size)


@router.get(
    "/{account_id}/usage",
    response_model=AccountUsage,
    summary="One account's usage per day",
    responses={
        **refused("as_of after today"),
        404: {"model": ErrorResponse, "description": "No such account, or no snapshot built yet"},
    },
)
def account_usage(
    cur: CursorDep,
    config: ConfigDep,
    account_id: str,
    as_of: AsOfParam = None,
    days: Annotated[
        int,
        Query(ge=1, le=MAX_HISTORY_DAYS, description="Days ending as_of, at most 3,660"),
    ] = HISTORY_DAYS,
) -> AccountUsage:
    """Active users over 7 and 28 days, key features used in 28 days, seats used and
    bought and seat utilisation, per day from the stored daily snapshot (docs/metrics.md):
    the figures of the account page's usage chart."""
    return account_usage_history(cur, account_id, config, as_of=as_of, days=days)
