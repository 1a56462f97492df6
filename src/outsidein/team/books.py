"""Each CSM's book of business, read from the store: the one reading the team page, its API
and its CLI show.

Nothing is recomputed here. Per customer (an account neither a prospect nor churned on the
day): MRR and ARR from :func:`outsidein.analytics.lifecycle.account_status` (the accounts
list's and the Metrics page's one definition), the touch tier in force when health is read
(today by default, as the health page joins them) from :func:`outsidein.tiers.tiers_at`,
the health score and band in force from :func:`outsidein.health.history.scores_at` (an
override standing in). Per CSM: open and overdue tasks as
:func:`outsidein.tasks.service.counts_by_csm` counts them (the totals of the tasks page's
"open" and "overdue" lists of that CSM), and the term contracts renewing in the next
:data:`RENEWAL_DAYS` days from :func:`outsidein.analytics.renewals.renewals`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.analytics.backend import store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.analytics.renewals import renewals
from outsidein.analytics.today import report_dates
from outsidein.health.history import scores_at
from outsidein.health.read import band_order
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.health import HealthConfig
from outsidein.store.freshness import data_last_day
from outsidein.tasks.service import counts_by_csm, now_utc
from outsidein.tiers.history import tiers_at
from outsidein.tiers.rules import NOT_CUSTOMERS

__all__ = ["RENEWAL_DAYS", "Customer", "Figures", "Reading", "read_books"]

RENEWAL_DAYS = 90  # renewals "in the next 90 days"


@dataclass(frozen=True)
class Customer:
    """One customer as the team page lists it."""

    account_id: str
    name: str | None
    csm_id: str | None
    tier: str | None  # None: no tier recorded for it on the day
    mrr: Decimal
    arr: Decimal
    score: float | None
    band: str | None  # None: no health score yet
    renewal_date: date | None  # its next term-contract renewal (any distance)


@dataclass(frozen=True)
class Figures:
    """A CSM's tasks and renewals (the store's counts, not the customers')."""

    open_tasks: int = 0
    overdue_tasks: int = 0
    renewals: int = 0  # term contracts renewing within RENEWAL_DAYS
    renewal_arr: Decimal = Decimal(0)


@dataclass(frozen=True)
class Reading:
    """Everything the team page needs from the store, as of one day."""

    as_of: date
    at: datetime  # when health scores are read
    notice: str | None
    bands: list[str]  # worst first
    csms: dict[str, tuple[str | None, int | None]]  # csm_id -> (name, capacity)
    customers: list[Customer]
    figures: dict[str, Figures] = field(default_factory=dict)


_CUSTOMERS = """
SELECT a.account_id, a.name, a.csm_id, t.tier, s.mrr, s.arr, h.score, h.band, s.renewal_date
FROM accounts a JOIN _oi_status s USING (account_id)
LEFT JOIN _oi_tiers t USING (account_id)
LEFT JOIN _oi_health h USING (account_id)
WHERE s.status NOT IN ({customers})
ORDER BY a.account_id
"""


def resolve(
    con: duckdb.DuckDBPyConnection, as_of: date | None
) -> tuple[date, datetime, date, str | None]:
    """The day of the figures (the data's last day by default, as every report), when health
    is read and the day of the tiers (now and today, as the health page reads them; the end
    of an ``as_of`` asked and that day), and a notice naming the day chosen."""
    dates = report_dates(None, as_of, data_last_day=data_last_day(con))
    now = now_utc()
    if as_of is None:
        return dates.as_of, now, now.date(), dates.notice
    at = min(now, datetime.combine(as_of + timedelta(days=1), time()))
    return dates.as_of, at, as_of, dates.notice


def read_books(
    con: duckdb.DuckDBPyConnection,
    analytics: AnalyticsConfig,
    health: HealthConfig,
    as_of: date | None = None,
    *,
    statuses: Callable[[date], pa.Table] | None = None,
) -> Reading:
    """Every customer with its CSM, tier, ARR and health on ``as_of``, every CSM, and each
    CSM's open and overdue tasks and upcoming renewals (``statuses``: where the web app's
    cache gives :func:`account_status` of a day already computed)."""
    day, at, tier_day, notice = resolve(con, as_of)
    sources = store_sources(con)
    if statuses is None:
        status = account_status(sources, analytics, day).to_pyarrow()
    else:
        status = statuses(day)
    due = renewals(sources, analytics, day, RENEWAL_DAYS).to_pyarrow()
    cur = con.cursor()
    try:
        cur.register("_oi_status", status)
        cur.register("_oi_tiers", tiers_at(cur, tier_day))
        cur.register("_oi_health", scores_at(cur, at))
        cur.register("_oi_due", due)
        quoted = ", ".join(f"'{s}'" for s in NOT_CUSTOMERS)
        rows = _dicts(cur.execute(_CUSTOMERS.format(customers=quoted)))
        csms = {
            str(r[0]): (r[1], r[2])
            for r in cur.execute(
                "SELECT csm_id, name, capacity FROM csms ORDER BY csm_id"
            ).fetchall()
        }
        renewing = {
            r[0]: (int(r[1]), Decimal(r[2]))
            for r in cur.execute(
                "SELECT csm_id, count(*), coalesce(sum(arr), 0) FROM _oi_due "
                "WHERE csm_id IS NOT NULL GROUP BY csm_id"
            ).fetchall()
        }
    finally:
        cur.close()
    customers = [Customer(**r) for r in rows]
    for c in customers:  # a CSM on accounts but missing from the csms table still has a book
        if c.csm_id is not None and c.csm_id not in csms:
            csms[c.csm_id] = (None, None)
    tasks = counts_by_csm(con, sorted(csms))
    figures = {}
    for csm in sorted(csms):
        count, arr = renewing.get(csm, (0, Decimal(0)))
        figures[csm] = Figures(*tasks[csm], count, arr)
    return Reading(day, at, notice, band_order(health), dict(sorted(csms.items())), customers,
                   figures)  # fmt: skip


def _dicts(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def as_table(customers: list[Customer]) -> pa.Table:
    """The customers as a table (for ``--out`` files)."""
    return pa.Table.from_pylist([vars(c) for c in customers])
