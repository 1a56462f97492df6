"""``/api/v1/impact``: each playbook's measured effect on usage, health and retention.

The same computation as the Impact page and ``outsidein impact`` (:mod:`outsidein.impact`):
a randomised holdout's experiment, a regression discontinuity at a firing threshold, or
staggered difference-in-differences (docs/impact.md). A play's effect is measured over every
account; a CSM's drill-in lists only the accounts of their book.
"""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Path

from outsidein.impact import estimate_all, estimate_play
from outsidein.impact.report import ImpactList, PlayImpactOut, play_out, summary_out
from outsidein.web.access import BookDep
from outsidein.web.deps import CursorDep
from outsidein.web.schemas.errors import ErrorResponse

router = APIRouter(prefix="/impact", tags=["impact"])

PlaybookName = Annotated[str, Path(min_length=1, max_length=60)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "The playbook never fired"}
}
RANKED_BY = "active_users_28"


def ranked(cur: duckdb.DuckDBPyConnection) -> ImpactList:
    """Every fired playbook, largest effect on active users first (the page's list too)."""
    return ImpactList(ranked_by=RANKED_BY, plays=[summary_out(p) for p in estimate_all(cur)])


def book_accounts(cur: duckdb.DuckDBPyConnection, csm: str | None) -> set[str] | None:
    """The accounts of a CSM's book (None: every account)."""
    if csm is None:
        return None
    rows = cur.execute(
        "SELECT account_id FROM accounts WHERE lower(csm_id) = lower(?)", [csm]
    ).fetchall()
    return {str(r[0]) for r in rows}


def drill_in(cur: duckdb.DuckDBPyConnection, playbook: str, csm: str | None) -> PlayImpactOut:
    return play_out(estimate_play(cur, playbook), accounts=book_accounts(cur, csm))


@router.get("", response_model=ImpactList, summary="Every playbook's measured effect, ranked")
def list_impact(cur: CursorDep) -> ImpactList:
    """Each fired playbook's effect on active users, key features, health and 90-day churn,
    with 95 % intervals and warnings, ranked by the effect on active users."""
    return ranked(cur)


@router.get(
    "/{playbook}",
    response_model=PlayImpactOut,
    responses=NOT_FOUND,
    summary="One playbook's measured effect",
)
def play_impact(cur: CursorDep, book: BookDep, playbook: PlaybookName) -> PlayImpactOut:
    """The estimates, the event study, the assumptions and the accounts treated (a CSM: of
    their book)."""
    return drill_in(cur, playbook, book.csm(None))
