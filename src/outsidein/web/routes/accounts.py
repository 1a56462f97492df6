"""``/api/v1/accounts``: the account list and one account with its records, as JSON."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from outsidein.pipeline import Step
from outsidein.store.last_seen import last_seen_step
from outsidein.web.background import with_steps
from outsidein.web.deps import CursorDep
from outsidein.web.params import PageParam, PageSizeParam, SearchParam
from outsidein.web.queries.accounts import Order, SortKey, get_account, list_accounts
from outsidein.web.schemas.accounts import AccountDetail, AccountList
from outsidein.web.schemas.errors import ErrorResponse


def _steps(app: FastAPI) -> list[Step]:
    """Keeps the accounts' "last seen" summary current while the server runs."""
    return [last_seen_step()]


router = APIRouter(prefix="/accounts", tags=["accounts"], lifespan=with_steps(_steps))


@router.get("", response_model=AccountList, summary="Search, sort and page accounts")
def accounts_list(
    cur: CursorDep,
    q: SearchParam = "",
    sort: SortKey = "name",
    order: Order = "asc",
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> AccountList:
    """``q`` matches account id, name, industry, region and CSM (id or name)."""
    return list_accounts(cur, q=q, sort=sort, order=order, page=page, page_size=page_size)


@router.get(
    "/{account_id}",
    response_model=AccountDetail,
    summary="One account with its records",
    responses={404: {"model": ErrorResponse, "description": "No such account"}},
)
def account_detail(cur: CursorDep, account_id: str) -> AccountDetail:
    return get_account(cur, account_id)
