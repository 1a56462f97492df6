"""One account's usage over time, read from the stored daily snapshot.

The account page's chart, ``GET /api/v1/accounts/{id}/usage`` and ``outsidein accounts
show`` all take these rows: the figures are the snapshot's own columns (definitions in
docs/metrics.md), selected and never recomputed, so they match ``account_daily_metrics``
and the Metrics page to the unit.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.errors import AnalyticsError
from outsidein.analytics.snapshot import TABLE, snapshot_range
from outsidein.analytics.usage import MONTH_WINDOW

__all__ = [
    "HISTORY_COLUMNS",
    "MAX_HISTORY_DAYS",
    "SUMMARY_COLUMNS",
    "history_range",
    "usage_history",
]

MAX_HISTORY_DAYS = 3660  # ten years of days: the most one answer holds
HISTORY_COLUMNS = (
    "date",
    "active_users_7",
    f"active_users_{MONTH_WINDOW}",
    f"key_features_used_{MONTH_WINDOW}",
    f"breadth_{MONTH_WINDOW}",
    "seats_used",
    "seats_bought",
    "seat_utilization",
)
# One day's summary on the account page and in its API answer: the same stored columns.
SUMMARY_COLUMNS = (
    "date",
    "active_users_7",
    f"active_users_{MONTH_WINDOW}",
    f"events_{MONTH_WINDOW}",
    f"key_features_used_{MONTH_WINDOW}",
)


def history_range(con: duckdb.DuckDBPyConnection, as_of: date, days: int) -> tuple[date, date]:
    """The ``days`` days ending ``as_of`` that the stored snapshot covers: ``(first, last)``,
    with ``first > last`` when it covers none of them.

    :class:`SnapshotMissingError` when the snapshot was never built.
    """
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise AnalyticsError(f"days must be 1 to {MAX_HISTORY_DAYS:,}, not {days}")
    built_first, built_last = snapshot_range(con)
    last = min(as_of, built_last)
    return max(built_first, last - timedelta(days=days - 1)), last


def usage_history(
    sources: Sources,
    account_id: str,
    first: date,
    last: date,
    columns: tuple[str, ...] = HISTORY_COLUMNS,
) -> ir.Table:
    """The account's days from ``first`` to ``last`` in ``account_daily_metrics``, oldest
    first: active users over 7 and 28 days, key features used in 28 days (and that as a
    share of the key features, ``breadth_28``), seats used (28-day active users), seats
    bought and seat utilisation (or ``columns`` of the snapshot). Days before the account
    existed have no row."""
    metrics = sources.backend.table(TABLE)
    rows = metrics.filter(
        metrics.account_id == account_id, metrics.date >= first, metrics.date <= last
    )
    return rows.select(*columns).order_by("date")
