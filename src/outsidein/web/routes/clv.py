"""``/api/v1/clv``: every account's lifetime value as last scored (``outsidein clv score``),
with the model family chosen for it. A CSM sees their own book (``BookDep``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from outsidein.auth.roles import Role
from outsidein.clv import saved
from outsidein.errors import NotFoundError
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import CsmParam, PageParam, PageSizeParam
from outsidein.web.schemas.clv import ClvList, ClvScoreOut
from outsidein.web.schemas.errors import ErrorResponse, refused

router = APIRouter(tags=["clv"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such account"}
}


@router.get(
    "/clv/accounts",
    response_model=ClvList,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("a CSM asking for another book"),
    summary="Accounts by lifetime value, highest first",
)
def clv_accounts(
    cur: CursorDep,
    book: BookDep,
    csm: CsmParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> ClvList:
    """The last scoring day's values; each names the family that gave it."""
    return ClvList.of(saved.latest(cur, csm=book.csm(csm)), page, page_size)


@router.get(
    "/clv/accounts/{account_id}",
    response_model=ClvScoreOut,
    dependencies=[requires(Role.VIEWER)],
    responses=NOT_FOUND,
    summary="One account's lifetime value",
)
def clv_account(cur: CursorDep, account_id: str) -> ClvScoreOut:
    """Its value and family; ``scored`` false when it has none (a subscriber who left, a
    prospect, or no scoring run yet: ``outsidein clv score``)."""
    known = cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone()
    if known is None:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    found = saved.latest(cur, account_id=account_id)
    if found.empty:
        return ClvScoreOut(account_id=account_id, scored=False)
    return ClvScoreOut.of(found.to_dict("records")[0])
