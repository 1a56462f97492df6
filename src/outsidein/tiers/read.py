"""Tiers as stored, read for people: the one reading the pages, the API and the CLI show.

Every figure comes from ``account_tiers`` (:mod:`outsidein.tiers.history`): the tier and the
ARR it was decided on, in force on the day asked (today by default), the accounts' CSM
beside them. :func:`report` is the tiers page (counts, ARR and coverage per tier and CSM,
recent moves between tiers); :func:`list_accounts` the accounts of a tier;
:func:`account_tier` one account's tier and its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from outsidein.analytics.today import EARLIEST, utc_today
from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.settings.tiers import TiersConfig
from outsidein.tiers.coverage import Coverage, coverage
from outsidein.tiers.history import TierChange, account_history, last_recorded, tiers_at

__all__ = [
    "MOVES_DAYS",
    "AccountTier",
    "TierPage",
    "TiersReport",
    "account_tier",
    "book_at",
    "list_accounts",
    "moves",
    "report",
    "resolve_day",
]

MOVES_DAYS = 90  # the tiers page lists moves between tiers over this many days
MAX_PAGE_SIZE = 500
NO_TIERS = (
    "no tiers are recorded yet: `outsidein serve` records them (step 'tiers'), or run "
    "`outsidein tiers compute`"
)


def resolve_day(as_of: date | None) -> date:
    """``as_of``, or today (UTC); a future day or one before 1900 is refused."""
    today = utc_today()
    day = as_of or today
    if day > today:
        raise InvalidRequestError(
            f"as_of {day.isoformat()} is in the future (today is {today.isoformat()}, UTC)",
            field="as_of",
        )
    if day < EARLIEST:
        raise InvalidRequestError(f"as_of {day.isoformat()} is before {EARLIEST}", field="as_of")
    return day


def book_at(
    con: duckdb.DuckDBPyConnection, day: date, csm: str | None = None
) -> list[dict[str, Any]]:
    """Every customer with a tier on ``day`` (of ``csm``'s book when given): ``account_id,
    name, tier, arr, potential, valid_from, csm_id, csm_name, csm_capacity``."""
    cur = con.cursor()
    try:
        cur.register("_oi_tiers_day", tiers_at(cur, day))
        rows = cur.execute(
            """SELECT t.account_id, a.name, t.tier, t.arr, t.potential, t.valid_from,
                      a.csm_id, c.name AS csm_name, c.capacity AS csm_capacity
               FROM _oi_tiers_day t JOIN accounts a USING (account_id)
               LEFT JOIN csms c ON c.csm_id = a.csm_id
               WHERE t.tier IS NOT NULL AND (? IS NULL OR lower(a.csm_id) = lower(?))
               ORDER BY t.account_id""",
            [csm, csm],
        )
        names = [d[0] for d in rows.description]
        return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]
    finally:
        cur.close()


def moves(
    con: duckdb.DuckDBPyConnection, since: date, until: date, csm: str | None = None
) -> list[dict[str, Any]]:
    """Accounts whose tier changed after ``since`` up to ``until``, latest first:
    ``account_id, name, day, before, after, arr`` (``before`` null: it became a customer,
    ``after`` null: it left the tiers)."""
    rows = con.execute(
        """WITH h AS (
               SELECT account_id, valid_from, tier, arr,
                      lag(tier) OVER (PARTITION BY account_id ORDER BY valid_from) AS before,
                      row_number() OVER (PARTITION BY account_id ORDER BY valid_from) AS n
               FROM account_tiers WHERE valid_from <= ?
           )
           SELECT h.account_id, a.name, h.valid_from AS day, h.before, h.tier AS after, h.arr
           FROM h JOIN accounts a USING (account_id)
           WHERE h.valid_from > ? AND h.n > 1 AND h.before IS DISTINCT FROM h.tier
             AND (? IS NULL OR lower(a.csm_id) = lower(?))
           ORDER BY h.valid_from DESC, h.account_id""",
        [until, since, csm, csm],
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r, strict=True)) for r in rows.fetchall()]


@dataclass(frozen=True)
class TiersReport:
    """The tiers page: coverage per tier and CSM on ``as_of``, and the recent moves."""

    as_of: date
    recorded_through: date | None
    csm: str | None
    coverage: Coverage
    moves: list[dict[str, Any]] = field(default_factory=list)

    @property
    def notice(self) -> str | None:
        if self.recorded_through is None:
            return NO_TIERS
        if self.as_of > self.recorded_through:
            return (
                f"tiers are recorded up to {self.recorded_through.isoformat()}: "
                f"{self.as_of.isoformat()} shows the tiers in force then"
            )
        return None


def report(
    con: duckdb.DuckDBPyConnection,
    tiers: TiersConfig,
    as_of: date | None = None,
    *,
    csm: str | None = None,
) -> TiersReport:
    """Tier counts, ARR per tier and coverage per CSM on ``as_of`` (today), and the moves
    between tiers in the :data:`MOVES_DAYS` days before."""
    day = resolve_day(as_of)
    book = book_at(con, day, csm)
    recent = moves(con, day - timedelta(days=MOVES_DAYS), day, csm)
    return TiersReport(day, last_recorded(con), csm, coverage(book, tiers), recent)


@dataclass(frozen=True)
class TierPage:
    as_of: date
    total: int
    page: int
    page_size: int
    rows: list[dict[str, Any]]


def list_accounts(
    con: duckdb.DuckDBPyConnection,
    as_of: date | None = None,
    *,
    tier: str | None = None,
    csm: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> TierPage:
    """The customers with a tier on ``as_of`` (of ``tier``, of ``csm``), highest ARR first."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequestError(f"page from 1, page_size 1 to {MAX_PAGE_SIZE}")
    day = resolve_day(as_of)
    rows = [r for r in book_at(con, day, csm) if tier is None or r["tier"] == tier.lower()]
    rows.sort(key=lambda r: (-Decimal(r["arr"]), r["account_id"]))
    start = (page - 1) * page_size
    return TierPage(day, len(rows), page, page_size, rows[start : start + page_size])


@dataclass(frozen=True)
class AccountTier:
    """One account's tier on ``as_of`` (None: no customer then) and every change."""

    account_id: str
    as_of: date
    tier: str | None
    since: date | None
    arr: Decimal | None
    potential: float | None
    history: list[TierChange]


def account_tier(
    con: duckdb.DuckDBPyConnection, account_id: str, as_of: date | None = None
) -> AccountTier:
    """``account_id``'s tier on ``as_of`` (today); NotFoundError for an unknown account."""
    day = resolve_day(as_of)
    known = con.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchall()
    if not known:
        raise NotFoundError(f"no account {account_id!r}", account_id=account_id)
    history = account_history(con, account_id)
    current = [h for h in history if h.valid_from <= day]
    if not current:
        return AccountTier(account_id, day, None, None, None, None, history)
    now = current[-1]
    since = now.valid_from
    for h in reversed(current[:-1]):  # the day it entered its tier (ARR moves add rows)
        if h.tier != now.tier:
            break
        since = h.valid_from
    return AccountTier(account_id, day, now.tier, since, now.arr, now.potential, history)
