"""Usage read straight from events and aggregated usage counts: one day for every account,
per-feature counts, and the daily snapshot computed on the fly (the form a Parquet lake on
Spark uses)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.errors import AnalyticsError
from outsidein.analytics.periods import day_number, day_of
from outsidein.analytics.revenue import priced
from outsidein.analytics.usage import (
    SNAPSHOT_WINDOWS,
    account_targets,
    daily_usage,
    roll_up,
)
from outsidein.settings.analytics import AnalyticsConfig


def daily_snapshot(
    sources: Sources,
    config: AnalyticsConfig,
    first: date,
    last: date,
    windows: Sequence[int] = SNAPSHOT_WINDOWS,
) -> ir.Table:
    """``account_daily_metrics`` for every account and day from first to last, from events."""
    if last < first:
        raise AnalyticsError(f"the range ends ({last}) before it starts ({first})")
    targets = account_targets(sources.accounts, day_number(first))
    activity = roll_up(sources.events, config, sources.usage_counts)
    return daily_usage(
        activity,
        priced(sources, config),
        targets,
        day_number(first),
        day_number(last),
        config,
        windows,
    )


def account_usage(
    sources: Sources,
    config: AnalyticsConfig,
    as_of: date,
    windows: Sequence[int] | None = None,
) -> ir.Table:
    """Every account's usage on ``as_of`` over the configured windows, with its name."""
    chosen = windows or config.usage_windows
    usage = daily_snapshot(sources, config, as_of, as_of, chosen)
    names = sources.accounts.select("account_id", account_name="name")
    joined = usage.left_join(names, "account_id")
    ordered = ["account_id", "account_name", *[c for c in usage.columns if c != "account_id"]]
    return joined.select(*ordered).order_by("account_id")


def feature_counts(
    sources: Sources, as_of: date, window: int = 28, account_id: str | None = None
) -> ir.Table:
    """Events and distinct users per account and event name in the window ending ``as_of``:
    raw events and aggregated usage counts together (a count row without a user adds its
    count to ``events`` and no one to ``users``)."""
    if window < 1:
        raise AnalyticsError(f"window must be 1 day or more, not {window}")
    events, counted = sources.events, sources.usage_counts
    if account_id is not None:
        events = events.filter(events.account_id == account_id)
        counted = counted.filter(counted.account_id == account_id)
    last = day_number(as_of)
    rows = ibis.union(
        events.select(
            "account_id",
            "user_id",
            feature=events.event,
            day=day_of(events.timestamp),
            n=ibis.literal(1, dt.int64),
        ),
        counted.select(
            "account_id",
            "user_id",
            "feature",
            day=day_of(counted.day),
            n=counted["count"].cast(dt.int64),
        ),
    )
    recent = rows.filter(rows.day > last - window, rows.day <= last)
    counts = recent.group_by(["account_id", "feature"]).agg(
        events=recent.n.sum().cast(dt.int64), users=recent.user_id.nunique().cast(dt.int64)
    )
    return counts.order_by(["account_id", counts.events.desc(), "feature"])
