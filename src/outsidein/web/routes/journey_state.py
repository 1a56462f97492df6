"""``/api/v1/journey/state`` and ``/api/v1/journey/interruptions``: where each account is in
its journey and where journeys break (docs/journey.md). The answers are
:mod:`outsidein.journey.report`'s, the same as ``outsidein journey state|interruptions
--json`` prints. A CSM sees their own book (``BookDep``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.journey.report import end_of, interruptions_report, states_report
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.journey_state import InterruptionsOut, StatesOut

router = APIRouter(tags=["journey"])

AccountParam = Annotated[
    str | None, Query(min_length=1, max_length=200, description="One account's")
]
StageParam = Annotated[
    str | None,
    Query(min_length=1, max_length=40, pattern="^[a-z][a-z0-9_]*$", description="One stage"),
]
LimitParam = Annotated[int, Query(ge=1, le=10_000, description="Rows returned")]
Kind = Literal[
    "failed_touchpoint", "broken_handoff", "stall", "ping_pong", "repeat_contact",
    "sla_breach", "chasing", "no_owner",
]  # fmt: skip
Function = Literal["sales", "marketing", "onboarding", "support", "success", "billing", "product"]


def _known(cur: CursorDep, account_id: str | None) -> None:
    if account_id is None:
        return
    if cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone() is None:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)


@router.get(
    "/journey/state",
    response_model=StatesOut,
    dependencies=[requires(Role.VIEWER)],
    responses={
        **refused("as_of in the future, a CSM asking for another book"),
        404: {"model": ErrorResponse, "description": "No such account (or not in your book)"},
    },
    summary="Each account's journey stage, time in stage and stage history",
)
def state(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    account_id: AccountParam = None,
    stage: StageParam = None,
    as_of: AsOfParam = None,
    limit: LimitParam = 500,
) -> StatesOut:
    """Stages by the journey map's rules from the data up to the end of ``as_of`` [today]."""
    _known(cur, account_id)
    report = states_report(
        cur, config.journey, end_of(cur, as_of), csm=book.csm(None),
        accounts=[account_id] if account_id else None, stage=stage, limit=limit,
    )  # fmt: skip
    return StatesOut.model_validate(report)


@router.get(
    "/journey/interruptions",
    response_model=InterruptionsOut,
    dependencies=[requires(Role.VIEWER)],
    responses={
        **refused("as_of in the future, a CSM asking for another book"),
        404: {"model": ErrorResponse, "description": "No such account (or not in your book)"},
    },
    summary="Where journeys break: interruptions with evidence, by function and stage",
)
def interruptions(
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    account_id: AccountParam = None,
    kind: Annotated[Kind | None, Query(description="One kind")] = None,
    function: Annotated[Function | None, Query(description="Of one function")] = None,
    stage: StageParam = None,
    open_only: Annotated[
        bool, Query(alias="open", description="Only those still going on")
    ] = False,
    days: Annotated[int, Query(ge=1, le=3650, description="Days before as_of")] = 90,
    as_of: AsOfParam = None,
    limit: LimitParam = 500,
) -> InterruptionsOut:
    """The interruptions dated in the ``days`` up to the end of ``as_of`` [today]."""
    _known(cur, account_id)
    report = interruptions_report(
        cur, config.journey, end_of(cur, as_of), days=days, csm=book.csm(None),
        accounts=[account_id] if account_id else None, kind=kind, function=function,
        stage=stage, open_only=open_only, limit=limit,
    )  # fmt: skip
    return InterruptionsOut.model_validate(report)
