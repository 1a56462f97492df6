"""One account's usage over time, for its page, ``/api/v1/accounts/{id}/usage`` and
``outsidein accounts show``: the rows :func:`outsidein.analytics.usage_history` reads from
the stored daily snapshot, as the API's typed points."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from outsidein.analytics import (
    AnalyticsConfig,
    SnapshotMissingError,
    feature_counts,
    history_range,
    store_sources,
    usage_history,
)
from outsidein.analytics.today import report_dates
from outsidein.analytics.usage import MONTH_WINDOW
from outsidein.analytics.usage_history import SUMMARY_COLUMNS
from outsidein.errors import NotFoundError
from outsidein.store.freshness import data_last_day
from outsidein.store.last_seen import last_seen_mark, last_seen_sql
from outsidein.web.queries.rows import fetch_dicts
from outsidein.web.schemas.accounts import AccountUsage, EventCount, UsagePoint, UsageSummary

__all__ = ["HISTORY_DAYS", "LOOK_BACK", "account_usage_history", "look_back", "usage_summary"]
TOP_EVENTS = 5  # event names the summary lists

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


def usage_summary(cur: duckdb.DuckDBPyConnection, account_id: str, as_of: date) -> UsageSummary:
    """The account's row of the daily snapshot on ``as_of`` (or on the snapshot's last day
    when it ends earlier: the "Latest" day of its chart), the event names it sent most in
    the 28 days ending then (:func:`feature_counts`), and when it was last seen.

    The figures are the snapshot's own (one definition, docs/metrics.md); with no snapshot
    row for the day they are null and ``notice`` says why."""
    seen = fetch_dicts(
        cur,
        last_seen_sql(where="account_id = $id"),
        {"id": account_id, "mark": last_seen_mark(cur)},
    )
    last_seen = seen[0]["last_seen"] if seen else None
    sources = store_sources(cur)
    try:
        first, day = history_range(cur, as_of, 1)
        notice = None if first <= day else f"the daily snapshot has no day up to {as_of}"
    except SnapshotMissingError as exc:
        day, notice = as_of, exc.message
    rows = (
        usage_history(sources, account_id, day, day, SUMMARY_COLUMNS).to_pyarrow().to_pylist()
        if notice is None
        else []
    )
    if notice is None and not rows:
        notice = f"the daily snapshot has no row of this account on {day}"
    top = feature_counts(sources, day, MONTH_WINDOW, account_id).limit(TOP_EVENTS)
    figures = rows[0] if rows else dict.fromkeys(SUMMARY_COLUMNS)
    figures.pop("date")
    return UsageSummary(
        day=day if rows else None,
        notice=notice,
        last_seen=last_seen,
        top_events_28=[
            EventCount(event=r["feature"], count=r["events"], users=r["users"])
            for r in top.to_pyarrow().to_pylist()
        ],
        **figures,
    )
