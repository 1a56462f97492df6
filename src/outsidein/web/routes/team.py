"""``/api/v1/team``: each CSM's book of business, capacity by tier, revenue per CSM and the
rebalancing suggestions (docs/team.md#api).

Read from :func:`outsidein.team.team_report` (per-account figures through the accounts
list's cache). A CSM sees their own book (``BookDep``); asking for another CSM's is a 403.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Path

from outsidein.auth.roles import Role
from outsidein.config import OutsideInConfig
from outsidein.team import TeamReport, team_report
from outsidein.web.access import Book, BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import AsOfParam
from outsidein.web.queries.accounts import account_figures
from outsidein.web.queries.figures_cache import figures_cache
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.team import TeamOut

router = APIRouter(tags=["team"])

CsmPath = Annotated[str, Path(min_length=1, max_length=200, description="A CSM id (any case)")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such CSM"}
}


def read_team(
    cur: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    book: Book,
    as_of: date | None,
    csm: str | None = None,
) -> TeamReport:
    """The team report in the caller's book (a CSM: their own), with the cached figures."""
    with figures_cache.one_reading(cur):
        return team_report(
            cur, config, as_of, csm=book.csm(csm),
            statuses=partial(account_figures, cur, config.analytics),
        )  # fmt: skip


@router.get(
    "/team",
    response_model=TeamOut,
    dependencies=[requires(Role.VIEWER)],
    responses={**NOT_FOUND, **refused("as_of in the future")},
    summary="Every CSM's book, capacity by tier, revenue per CSM and rebalancing",
)
def team(cur: CursorDep, config: ConfigDep, book: BookDep, as_of: AsOfParam = None) -> TeamOut:
    """Each CSM's customers, ARR, health mix, tasks and renewals on ``as_of`` [the data's last
    day], the tiers' coverage, and the fewest moves that bring every book within capacity. A
    CSM gets their own book."""
    return TeamOut.of(read_team(cur, config, book, as_of))


@router.get(
    "/team/{csm_id}",
    response_model=TeamOut,
    dependencies=[requires(Role.VIEWER)],
    responses={**NOT_FOUND, **refused("as_of in the future, a CSM asking for another book")},
    summary="One CSM's book of business, with its customers",
)
def csm_book(
    cur: CursorDep, config: ConfigDep, book: BookDep, csm_id: CsmPath, as_of: AsOfParam = None
) -> TeamOut:
    """One CSM's figures, customers (highest ARR first) and the suggested moves into or out
    of the book."""
    return TeamOut.of(read_team(cur, config, book, as_of, csm_id))
