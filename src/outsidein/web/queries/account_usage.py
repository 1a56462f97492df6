"""One account's usage over time, for its page, ``/api/v1/accounts/{id}/usage`` and
``outsidein accounts show``: the rows :func:`outsidein.analytics.usage_history` reads from
the stored daily snapshot, as the API's typed points."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from outsidein.analytics import AnalyticsConfig, history_range, store_sources, usage_history
from outsidein.analytics.today import report_dates
from outsidein.errors import NotFoundError
from outsidein.store.freshness import data_last_day
from outsidein.web.schemas.accounts import AccountUsage, UsagePoint

__all__ = ["HISTORY_DAYS", "LOOK_BACK", "account_usage_history", "look_back"]

HISTORY_DAYS = 366  # what the page draws and the API and CLI answer unless asked: a year
# and the day a year before, which the summary compares with
# The days a summary compares: the last one, and so many days before it.
LOOK_BACK = ((0, "Latest"), (30, "30 days before"), (90, "90 days before"), (365, "A year before"))


def account_usage_history(
    cur: duckdb.DuckDBPyConnection,
    account_id: str,
    config: AnalyticsConfig,
    *,
    as_of: date | None = None,
    days: int = HISTORY_DAYS,
) -> AccountUsage:
    """The account's usage on each of the ``days`` days ending ``as_of`` (the report day
    rule of :func:`report_dates`) that the snapshot holds; :class:`NotFoundError` for an
    unknown account, :class:`SnapshotMissingError` when no snapshot was ever built."""
    known = cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchall()
    if not known:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    dates = report_dates(None, as_of, data_last_day=data_last_day(cur))
    first, last = history_range(cur, dates.as_of, days)
    rows = (
        usage_history(store_sources(cur), account_id, first, last).to_pyarrow().to_pylist()
        if first <= last
        else []
    )
    return AccountUsage(
        account_id=account_id,
        as_of=dates.as_of,
        notice=dates.notice,
        first=first,
        last=last,
        key_features=list(dict.fromkeys(config.key_features)),
        points=[UsagePoint.model_validate(r) for r in rows],
    )


def look_back(usage: AccountUsage) -> list[tuple[str, UsagePoint]]:
    """The points of :data:`LOOK_BACK` the history holds: the last day and earlier ones,
    for the page's table and the terminal's summary."""
    if not usage.points:
        return []
    by_day = {p.date: p for p in usage.points}
    latest = usage.points[-1].date
    found = [(name, by_day.get(latest - timedelta(days=back))) for back, name in LOOK_BACK]
    return [(name, point) for name, point in found if point is not None]
