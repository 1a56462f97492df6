"""``/api/v1/plans``: success plans and their progress (docs/plans.md#api).

Progress and status are :mod:`outsidein.plans`'s; a CSM sees and edits the plans of their
book only (others are 404, as if absent); writing needs the CSM role.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Path, Query, Request, Response

from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.plans import (
    STATUSES,
    PlanError,
    account_plans,
    create_plan,
    delete_plan,
    get_plan,
    list_plans,
    progress_of,
    status_counts,
    update_plan,
)
from outsidein.web.access import ActorDep, Book, BookDep, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.params import AsOfParam
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.plans import AccountPlansOut, PlanIn, PlanList, PlanOut

router = APIRouter(prefix="/plans", tags=["plans"])

PlanPath = Annotated[str, Path(min_length=1, max_length=200, description="A plan's id")]
AccountPath = Annotated[str, Path(min_length=1, max_length=200, description="An account's id")]
StatusQuery = Annotated[
    str | None,
    Query(max_length=40, description=f"Only plans in this status: {', '.join(STATUSES)}"),
]
AccountQuery = Annotated[str | None, Query(min_length=1, max_length=200)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such plan or account (or not in your book)"}
}
WRITE = [requires(Role.CSM)]
RULES = refused("an unknown measure, outcome or account, as_of in the future, dates in order")


def day_of(as_of: date | None) -> date:
    """``as_of`` [today (UTC)], not after today: progress is about data that has arrived."""
    today = datetime.now(UTC).date()
    if as_of is not None and as_of > today:
        raise PlanError(f"as_of {as_of} is after today ({today}): progress is about the past")
    if as_of is not None and as_of < today - timedelta(days=365 * 30):
        raise PlanError(f"as_of {as_of} is more than 30 years ago")
    return as_of or today


def _own(cur: duckdb.DuckDBPyConnection, book: Book, account_id: str) -> None:
    """A CSM writes plans of their own book only (404 otherwise, as if absent)."""
    if book.csm_id is None:
        return
    row = cur.execute("SELECT csm_id FROM accounts WHERE account_id = ?", [account_id]).fetchall()
    if not row or (row[0][0] or "").lower() != book.csm_id.lower():
        raise NotFoundError(f"no account with account_id {account_id!r}")


def _changed(request: Request) -> None:
    pipeline_of(request.app).mark("success_plans")  # health and playbooks read plans


@router.get("", response_model=PlanList, responses=RULES, summary="Plans with their status")
def plans(
    cur: CursorDep,
    book: BookDep,
    account_id: AccountQuery = None,
    status: StatusQuery = None,
    as_of: AsOfParam = None,
) -> PlanList:
    """Every plan (of the caller's book) with its progress on ``as_of`` [today]: off track
    first, then at risk, ..., achieved last; soonest due first within a status."""
    if status is not None and status not in STATUSES:
        raise PlanError(f"status {status!r}: use one of {', '.join(STATUSES)}")
    found = progress_of(
        cur, list_plans(cur, account_id=account_id, csm=book.csm(None)), day_of(as_of)
    )
    counts = status_counts(found)
    shown = [r for r in found if status is None or r.status == status]
    return PlanList(as_of=day_of(as_of), plans=[PlanOut.of(r) for r in shown], counts=counts)


@router.post(
    "", status_code=201, response_model=PlanOut, dependencies=WRITE,
    responses={**NOT_FOUND, **RULES}, summary="Agree a plan with an account",
)  # fmt: skip
def create(
    request: Request, cur: CursorDep, book: BookDep, actor: ActorDep, body: PlanIn
) -> PlanOut:
    _own(cur, book, body.account_id)
    made = create_plan(cur, body.plan(), actor=actor)
    _changed(request)
    return PlanOut.of(progress_of(cur, [made])[0])


@router.get(
    "/accounts/{account_id}",
    response_model=AccountPlansOut,
    responses={**NOT_FOUND, **RULES},
    summary="An account's success plan and the value realised so far",
)
def account(
    cur: CursorDep, book: BookDep, account_id: AccountPath, as_of: AsOfParam = None
) -> AccountPlansOut:
    """Each of the account's plans with its progress, how many are in each status, and the
    value realised so far summed per unit (the business-review summary)."""
    _own(cur, book, account_id)
    if not cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchall():
        raise NotFoundError(f"no account with account_id {account_id!r}")
    return AccountPlansOut.of(account_plans(cur, account_id, day_of(as_of)))


@router.get(
    "/{plan_id}", response_model=PlanOut, responses={**NOT_FOUND, **RULES},
    summary="One plan with its progress",
)  # fmt: skip
def show(cur: CursorDep, book: BookDep, plan_id: PlanPath, as_of: AsOfParam = None) -> PlanOut:
    plan = get_plan(cur, plan_id, csm=book.csm(None))
    return PlanOut.of(progress_of(cur, [plan], day_of(as_of))[0])


@router.get(
    "/{plan_id}/progress", response_model=list[PlanOut], responses={**NOT_FOUND, **RULES},
    summary="A plan's progress week by week",
)  # fmt: skip
def trajectory(
    cur: CursorDep,
    book: BookDep,
    plan_id: PlanPath,
    as_of: AsOfParam = None,
    every_days: Annotated[int, Query(ge=1, le=366, description="Days between points")] = 7,
) -> list[PlanOut]:
    """The plan on every ``every_days``-th day from its start to ``as_of`` [today] or its
    due date, whichever is first (at most 200 points, the last one on that day)."""
    plan = get_plan(cur, plan_id, csm=book.csm(None))
    end = min(day_of(as_of), plan.due_date)
    days = [end - timedelta(days=i * every_days) for i in range(200)]
    days = sorted(d for d in days if d >= plan.start_date) or [end]
    return [PlanOut.of(progress_of(cur, [plan], d)[0]) for d in days]


@router.put(
    "/{plan_id}", response_model=PlanOut, dependencies=WRITE,
    responses={**NOT_FOUND, **RULES}, summary="Change a plan's terms and milestones",
)  # fmt: skip
def change(
    request: Request, cur: CursorDep, book: BookDep, plan_id: PlanPath, body: PlanIn
) -> PlanOut:
    """The account cannot change (``account_id`` must be the plan's own)."""
    old = get_plan(cur, plan_id, csm=book.csm(None))
    if body.account_id != old.account_id:
        raise PlanError(f"account_id {body.account_id!r}: a plan stays with {old.account_id!r}")
    made = update_plan(cur, body.plan(plan_id))
    _changed(request)
    return PlanOut.of(progress_of(cur, [made])[0])


@router.delete(
    "/{plan_id}", status_code=204, response_class=Response, dependencies=WRITE,
    responses=NOT_FOUND, summary="Delete a plan",
)  # fmt: skip
def remove(request: Request, cur: CursorDep, book: BookDep, plan_id: PlanPath) -> Response:
    get_plan(cur, plan_id, csm=book.csm(None))
    delete_plan(cur, plan_id)
    _changed(request)
    return Response(status_code=204)
