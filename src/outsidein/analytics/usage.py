"""Product usage per account and day over trailing windows, in one set-based pass.

Raw events are first rolled up to *activity*: one row per account, user and day, and one
per account, key feature and day. Everything else is computed from those rollups, which
is what makes the daily snapshot cheap to keep current (the store keeps the rollups and
appends to them as events arrive) and lets the same code run on a Parquet lake in Spark.
The window arithmetic lives in :mod:`outsidein.analytics.usage_grid`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.periods import day_of
from outsidein.analytics.retention import ratio
from outsidein.analytics.revenue import money
from outsidein.analytics.usage_grid import dense_grid, folded_grid
from outsidein.settings.analytics import AnalyticsConfig

SNAPSHOT_WINDOWS = (7, 28, 90)
MONTH_WINDOW = 28  # seats used and stickiness (DAU/MAU) are measured over 28 days
FOLD_DAYS = 31  # ranges up to this long use the folded grid (daily updates)


@dataclass(frozen=True)
class Activity:
    """Usage rolled up per day; rows may repeat a key (appended batches) and are summed."""

    user_days: ir.Table  # account_id, user_id, day, events
    feature_days: ir.Table  # account_id, feature, day, events (key features + value event)
    unique: bool = False  # each key once (a fresh roll-up), so nothing needs summing


def tracked_features(config: AnalyticsConfig) -> list[str]:
    """The events kept per day: the key features and the value event."""
    names = list(dict.fromkeys(config.key_features))
    if config.value_event and config.value_event not in names:
        names.append(config.value_event)
    return names


def roll_up(events: ir.Table, config: AnalyticsConfig, counts: ir.Table | None = None) -> Activity:
    """Events (account_id, user_id, event, timestamp), and aggregated usage ``counts``
    (``usage_daily``), rolled up to activity per day."""
    return split_user_days(user_day_counts(events, config, counts), config)


def user_day_counts(
    events: ir.Table, config: AnalyticsConfig, counts: ir.Table | None = None
) -> ir.Table:
    """One pass over the events: per account, user and day, the event count and the count
    of each tracked feature (``feature_0``, ... in :func:`tracked_features` order).

    ``counts`` (aggregated usage: account_id, user_id, feature, day, count) join the pass
    as that many events each, so the result keeps one row per key (a row without a user is
    the key with a null user: it counts events, not users)."""
    if counts is not None:
        return _with_counts(events, counts, config)
    dated = events.select("account_id", "user_id", "event", day=day_of(events.timestamp))
    counts = {
        f"feature_{i}": dated.count(where=dated.event == name).cast(dt.int64)
        for i, name in enumerate(tracked_features(config))
    }
    return dated.group_by(["account_id", "user_id", "day"]).agg(
        events=dated.count().cast(dt.int64), **counts
    )


def _with_counts(events: ir.Table, counts: ir.Table, config: AnalyticsConfig) -> ir.Table:
    one = ibis.literal(1, dt.int64)
    dated = ibis.union(
        events.select("account_id", "user_id", "event", day=day_of(events.timestamp), n=one),
        counts.select(
            account_id=counts.account_id.cast(dt.string),
            user_id=counts.user_id.cast(dt.string),
            event=counts.feature.cast(dt.string),
            day=day_of(counts.day),
            n=counts["count"].cast(dt.int64),
        ),
    )
    sums = {
        f"feature_{i}": dated.n.sum(where=dated.event == name).coalesce(0).cast(dt.int64)
        for i, name in enumerate(tracked_features(config))
    }
    return dated.group_by(["account_id", "user_id", "day"]).agg(
        events=dated.n.sum().cast(dt.int64), **sums
    )


def split_user_days(wide: ir.Table, config: AnalyticsConfig) -> Activity:
    """The :class:`Activity` of :func:`user_day_counts`: its user days, and the per-feature
    days summed from it (a much smaller table than the events)."""
    user_days = wide.select("account_id", "user_id", "day", "events")
    pieces = []
    for i, name in enumerate(tracked_features(config)):
        used = wide.filter(wide[f"feature_{i}"] > 0)
        pieces.append(
            used.group_by(["account_id", "day"])
            .agg(events=used[f"feature_{i}"].sum().cast(dt.int64))
            .select("account_id", feature=ibis.literal(name, dt.string), day="day", events="events")
        )
    if not pieces:
        empty = wide.filter(ibis.literal(False))
        pieces.append(
            empty.select("account_id", feature=ibis.null(dt.string), day="day", events="events")
        )
    return Activity(user_days, ibis.union(*pieces), unique=True)


def count_activity(counts: ir.Table, config: AnalyticsConfig) -> Activity:
    """Aggregated usage (``usage_daily``: account_id, user_id, feature, day, count) as
    activity: a row's count is that many events of its feature on its day, by its user.
    A row without a user adds events to its account, and to no user's count."""
    dated = counts.select(
        "account_id", "user_id", "feature", day=day_of(counts.day), n=counts["count"]
    )
    user_days = dated.group_by(["account_id", "user_id", "day"]).agg(
        events=dated.n.sum().cast(dt.int64)
    )
    used = dated.filter(dated.feature.isin(tracked_features(config) or [""]))
    feature_days = used.group_by(["account_id", "feature", "day"]).agg(
        events=used.n.sum().cast(dt.int64)
    )
    return Activity(user_days, feature_days.select("account_id", "feature", "day", "events"))


def with_counts(activity: Activity, counts: Activity) -> Activity:
    """Raw-event activity and aggregated-usage activity together (keys may now repeat)."""

    def same(table: ir.Table, key: str) -> ir.Table:  # one schema (stored ones are NOT NULL)
        return table.select(
            account_id=table.account_id.cast(dt.string),
            **{key: table[key].cast(dt.string)},
            day=table.day.cast(dt.int64),
            events=table.events.cast(dt.int64),
        )

    return Activity(
        ibis.union(same(activity.user_days, "user_id"), same(counts.user_days, "user_id")),
        ibis.union(same(activity.feature_days, "feature"), same(counts.feature_days, "feature")),
    )


def account_targets(accounts: ir.Table, first_day: int) -> ir.Table:
    """Every account from ``first_day``, or from the day it was created if that is later."""
    created = day_of(accounts.created_at).coalesce(first_day)
    return accounts.select("account_id", from_day=ibis.greatest(created, first_day).cast(dt.int64))


def daily_usage(
    activity: Activity,
    subs: ir.Table,
    targets: ir.Table,
    first_day: int,
    last_day: int,
    config: AnalyticsConfig,
    windows: Sequence[int] = SNAPSHOT_WINDOWS,
) -> ir.Table:
    """Usage metrics per account and day.

    ``targets`` has ``account_id, from_day``: rows are produced for days ``from_day`` to
    ``last_day`` of each listed account; ``first_day`` is the smallest ``from_day``.
    ``subs`` are priced subscriptions (:func:`outsidein.analytics.revenue.priced`).
    Ranges of up to ``FOLD_DAYS`` days use the folded grid, longer ones the dense grid
    (:mod:`outsidein.analytics.usage_grid`); both give the same numbers.
    """
    windows = sorted({*windows, MONTH_WINDOW})
    lookback = 2 * max(windows) - 1  # the previous window of the longest one
    reach = max(windows) - 1  # distinct counts need only the longest window
    # Accounts get a small integer key for the grid: sorting, joining and grouping millions
    # of account-days by an integer is much cheaper than by the account id string.
    targets = targets.select(
        "account_id",
        start=targets.from_day.cast(dt.int64),
        aid=ibis.row_number().over(order_by=targets.account_id).cast(dt.int64),
    )
    keys = targets.select("aid", "start", "account_id")

    def recent(table: ir.Table, columns: list[str], days: int) -> ir.Table:
        near = table.join(targets, "account_id")
        near = near.filter(near.day >= near.start - days, near.day <= last_day)
        if activity.unique and columns:  # already one row per account, key and day
            return near.select("aid", "start", *columns, "day", events=near.events.cast(dt.int64))
        return near.group_by(["aid", "start", *columns, "day"]).agg(events=near.events.sum())

    features = activity.feature_days
    key_features = features.filter(features.feature.isin(config.key_features or [""]))
    if last_day - first_day < FOLD_DAYS:
        rolled = folded_grid(
            recent(activity.user_days, ["user_id"], reach),
            recent(activity.user_days, [], lookback),
            recent(key_features, ["feature"], reach),
            keys,
            first_day,
            last_day,
            windows,
        )
    else:
        rolled = dense_grid(
            recent(activity.user_days, ["user_id"], lookback),
            recent(key_features, ["feature"], lookback),
            list(dict.fromkeys(config.key_features)),
            keys,
            first_day,
            last_day,
            windows,
        )
    return _finish(rolled, activity, subs, targets, last_day, config, windows)


def _finish(
    rolled: ir.Table,
    activity: Activity,
    subs: ir.Table,
    targets: ir.Table,
    last_day: int,
    config: AnalyticsConfig,
    windows: Sequence[int],
) -> ir.Table:
    """Join the revenue side and the all-time facts, and compute the ratios.

    ``rolled`` is keyed by ``aid`` (``targets`` maps it to ``account_id``). The facts of
    an account are gathered on its one target row first, and the revenue spans keyed by
    ``aid``, so the grid meets them in integer-keyed joins with small build sides.
    """
    ids = targets.select("aid", "account_id")
    before = activity.user_days.join(targets, "account_id")
    carried = (
        before.filter(before.day < before.start - 2 * max(windows) + 1)
        .group_by("aid")
        .agg(carried_day=before.day.max())
    )
    value_days = activity.feature_days.filter(
        activity.feature_days.feature == (config.value_event or ""),
        activity.feature_days.day <= last_day,
    ).join(ids, "account_id")
    first_value = value_days.group_by("aid").agg(first_value_day=value_days.day.min())
    started = subs.join(ids, "account_id")
    onboarding = started.group_by("aid").agg(onboarding_day=started.start_day.min())
    facts = ids.left_join(carried, "aid").left_join(first_value, "aid").left_join(onboarding, "aid")
    facts = facts.select(
        "aid", "account_id", "carried_day", "first_value_day", "onboarding_day"
    ).view()
    spans = _revenue_spans(subs).join(ids, "account_id")
    spans = spans.select("aid", "span_start", "span_end", "mrr", "seats_bought").view()
    t = rolled.join(facts, "aid")
    t = t.left_join(
        spans,
        [
            t.aid == spans.aid,
            spans.span_start <= t.day,
            spans.span_end.isnull() | (t.day < spans.span_end),
        ],
    )
    last_active = ibis.coalesce(t.active_day, t.carried_day)
    value_day = ibis.ifelse(t.first_value_day <= t.day, t.first_value_day, ibis.null(dt.int64))
    started = ibis.ifelse(t.onboarding_day <= t.day, t.onboarding_day, ibis.null(dt.int64))
    key_count = len(dict.fromkeys(config.key_features))
    seats_used = t[f"active_users_{MONTH_WINDOW}"]
    columns: dict[str, ir.Value] = {
        "account_id": t.account_id,
        "date": t.date,
        "mrr": money(t.mrr.coalesce(ibis.literal(0, dt.Decimal(18, 2)))),
        "seats_bought": t.seats_bought,
        "seats_used": seats_used.cast(dt.int64),
        "seat_utilization": ratio(seats_used, t.seats_bought),
    }
    for w in windows:
        active, events = t[f"active_users_{w}"], t[f"events_{w}"]
        used = t[f"key_features_used_{w}"]
        columns |= {
            f"active_users_{w}": active.cast(dt.int64),
            f"events_{w}": events.cast(dt.int64),
            f"events_per_active_user_{w}": ratio(events, active),
            f"key_features_used_{w}": used.cast(dt.int64),
            f"breadth_{w}": (
                ratio(used, ibis.literal(key_count)) if key_count else ibis.null(dt.float64)
            ),
            f"stickiness_{w}": ratio(t[f"user_days_{w}"], active * w),
            f"events_prev_{w}": t[f"events_prev_{w}"].coalesce(0).cast(dt.int64),
            f"events_trend_{w}": ratio(events, t[f"events_prev_{w}"]) - 1.0,
        }
    columns |= {
        "last_activity_date": _to_date(last_active),
        "days_since_last_activity": (t.day - last_active).cast(dt.int64),
        "first_value_date": _to_date(value_day),
        # greatest() skips nulls on both engines, so the null case is spelled out
        "time_to_first_value_days": ibis.ifelse(
            value_day.isnull() | started.isnull(),
            ibis.null(dt.int64),
            ibis.greatest(value_day - started, 0).cast(dt.int64),
        ),
    }
    return t.select(**columns)


def _revenue_spans(subs: ir.Table) -> ir.Table:
    """Per account, the spans of days between subscription starts and ends, with the MRR
    and seats of the subscriptions running through each (spans with none are left out).

    Every day of a span has the same subscriptions, so the grid takes its revenue from one
    span per day instead of summing the subscriptions of every account-day.
    """
    bounds = ibis.union(
        subs.select("account_id", bound=subs.start_day.cast(dt.int64)),
        subs.filter(subs.end_day.notnull()).select("account_id", bound=subs.end_day.cast(dt.int64)),
        distinct=True,
    )
    following = bounds.bound.lead().over(
        ibis.window(group_by=bounds.account_id, order_by=bounds.bound)
    )
    spans = bounds.select("account_id", span_start="bound", span_end=following)
    running = spans.join(
        subs,
        [
            spans.account_id == subs.account_id,
            subs.start_day <= spans.span_start,
            subs.end_day.isnull() | (spans.span_start < subs.end_day),
        ],
    )
    return running.group_by(["account_id", "span_start", "span_end"]).agg(
        mrr=money(running.mrr.sum()), seats_bought=running.seats.sum().cast(dt.int64)
    )


def _to_date(day: ir.IntegerValue) -> ir.DateValue:
    """A day number back to a date (null stays null)."""
    result: ir.DateValue = ibis.date("1970-01-01") + day.as_interval("D")
    return result
