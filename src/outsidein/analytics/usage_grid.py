"""The account x day grid of usage counts, in two equivalent forms.

Counting distinct users over a sliding window without a per-day self-join: each active
day ``q`` of a user covers the windows ending on days ``[q, q + w)``; cut short at the
user's next active day, these pieces never overlap, so the users active in the window
ending on ``d`` are ``Σ_{x<=d} starts(x) - Σ_{x<=d} ends(x)``, a running sum. Key features
are counted the same way.

* :func:`sliding_grid` (long ranges: builds, rebuilds) keeps a dense grid that starts
  ``2 x longest window`` days early and takes event and user-day counts as sliding sums
  over it. Its inputs stay small, so it runs in bounded memory over a whole year.
* :func:`folded_grid` (short ranges: daily updates) turns every count into a running sum
  of *deltas* (a day's events are added, and taken away ``w`` days later) and folds the
  deltas dated before an account's first row into that row, so the grid holds only the
  days asked for: one row per account for a daily update, however long the windows.

Both return per account and day: ``active_day`` (latest day with events so far),
``active_users_w``, ``key_features_used_w``, ``events_w``, ``events_prev_w`` and
``user_days_w``. The incremental-equals-rebuild test compares one form with the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.periods import days_table

KINDS = ("users_started", "users_net", "features_net", "user_days", "events", "events_2x")


def _coverage(
    items: ir.Table, key: str, windows: Sequence[int], prefix: str, shift_days: bool
) -> list[ir.Table]:
    """Deltas of "distinct ``key`` values active in the window", per account and day.

    ``items``: one row per account, ``key`` and active day. A value's active day adds 1
    to ``{prefix}_net_{w}``; the end of its coverage piece subtracts it. For users,
    ``users_started`` counts the day's active users, and with ``shift_days`` the user-days
    in the window (``user_days_{w}``) get the matching delta ``w`` days later.
    """
    following = items.day.lead().over(
        ibis.window(group_by=[items.account_id, items[key]], order_by=items.day)
    )
    spans = items.mutate(next_day=following)
    count = spans.count().cast(dt.int64)
    users = prefix == "users"
    starts = {f"{prefix}_net_{w}": count for w in windows}
    if users:
        starts["users_started"] = count
        if shift_days:
            starts |= {f"user_days_{w}": count for w in windows}
    pieces = [spans.group_by(["account_id", "start", "day"]).agg(**starts)]
    for w in windows:
        natural = spans.day + w
        end = ibis.least(natural, spans.next_day.coalesce(natural))
        pieces.append(
            spans.group_by(["account_id", "start", end.name("day")]).agg(
                **{f"{prefix}_net_{w}": -count}
            )
        )
        if users and shift_days:
            pieces.append(
                spans.group_by(["account_id", "start", natural.name("day")]).agg(
                    **{f"user_days_{w}": -count}
                )
            )
    return pieces


def _event_deltas(daily: ir.Table, windows: Sequence[int], shift_days: bool) -> list[ir.Table]:
    """A day's events (and its active day); with ``shift_days``, also their removal from
    the window ``w`` days later and from the doubled window ``2w`` days later."""
    active = ibis.ifelse(daily.events > 0, daily.day, ibis.null(dt.int64))
    if not shift_days:
        return [
            daily.select("account_id", "start", "day", active_day=active, events_1=daily.events)
        ]
    columns = {f"events_{w}": daily.events for w in windows}
    columns |= {f"events_2x_{w}": daily.events for w in windows}
    pieces = [daily.select("account_id", "start", "day", active_day=active, **columns)]
    for w in windows:
        pieces.append(
            daily.select("account_id", "start", day=daily.day + w, **{f"events_{w}": -daily.events})
        )
        pieces.append(
            daily.select(
                "account_id", "start", day=daily.day + 2 * w, **{f"events_2x_{w}": -daily.events}
            )
        )
    return pieces


def _deltas(
    users: ir.Table, daily: ir.Table, features: ir.Table, windows: Sequence[int], shift: bool
) -> ir.Table:
    """Every delta row in one layout: zeros (and a null active day) where a piece has none."""
    pieces = [
        *_coverage(users, "user_id", windows, "users", shift),
        *_event_deltas(daily, windows, shift),
        *_coverage(features, "feature", windows, "features", shift),
    ]
    kinds = KINDS[1:] if shift else KINDS[1:3]  # the sliding form needs no shifted counts
    names = [] if shift else ["users_started", "events_1"]
    names += [f"{kind}_{w}" for kind in kinds for w in windows]
    zero = ibis.literal(0, dt.int64)

    def layout(piece: ir.Table) -> ir.Table:
        active = piece.active_day if "active_day" in piece.columns else ibis.null(dt.int64)
        return piece.select(
            "account_id",
            start=piece.start.cast(dt.int64),
            day=piece.day.cast(dt.int64),
            active_day=active.cast(dt.int64),
            **{n: piece[n].cast(dt.int64) if n in piece.columns else zero for n in names},
        )

    return ibis.union(*(layout(piece) for piece in pieces))


def _dense(grid: ir.Table, deltas: ir.Table) -> ir.Table:
    """The deltas summed per account and day, on every day of the grid (zeros elsewhere)."""
    sums = [c for c in deltas.columns if c not in ("account_id", "start", "day", "active_day")]
    moves = deltas.group_by(["account_id", "day"]).agg(
        active_day=deltas.active_day.max(), **{c: deltas[c].sum() for c in sums}
    )
    dense = grid.left_join(moves, ["account_id", "day"])
    return dense.select(
        *[c for c in grid.columns], "active_day", **{c: dense[c].coalesce(0) for c in sums}
    )


def sliding_grid(
    users: ir.Table,
    daily: ir.Table,
    features: ir.Table,
    targets: ir.Table,
    first_day: int,
    last_day: int,
    windows: Sequence[int],
) -> ir.Table:
    """The grid with look-back rows; sliding sums for events and user-days."""
    lookback = 2 * max(windows) - 1
    calendar = days_table(first_day - lookback, last_day)
    grid = targets.join(calendar, calendar.day >= targets.start - lookback).select(
        "account_id", "start", "day", "date"
    )
    dense = _dense(grid, _deltas(users, daily, features, windows, False))
    running = ibis.cumulative_window(group_by=dense.account_id, order_by=dense.day)

    def sliding(days: int) -> Any:
        return ibis.window(
            group_by=dense.account_id, order_by=dense.day, preceding=days - 1, following=0
        )

    sums: dict[str, ir.Value] = {"active_day": dense.active_day.max().over(running)}
    for w in windows:
        sums[f"active_users_{w}"] = dense[f"users_net_{w}"].sum().over(running)
        sums[f"key_features_used_{w}"] = dense[f"features_net_{w}"].sum().over(running)
        sums[f"events_{w}"] = dense.events_1.sum().over(sliding(w))
        sums[f"events_2x_{w}"] = dense.events_1.sum().over(sliding(2 * w))
        sums[f"user_days_{w}"] = dense.users_started.sum().over(sliding(w))
    rolled = dense.select("account_id", "start", "day", "date", **sums)
    rolled = rolled.filter(rolled.day >= rolled.start)
    return _previous(rolled.drop("start"), windows)


def folded_grid(
    users: ir.Table,
    daily: ir.Table,
    features: ir.Table,
    targets: ir.Table,
    first_day: int,
    last_day: int,
    windows: Sequence[int],
) -> ir.Table:
    """The grid of the days asked for only; every count a running sum of folded deltas."""
    calendar = days_table(first_day, last_day)
    grid = targets.join(calendar, calendar.day >= targets.start).select("account_id", "day", "date")
    deltas = _deltas(users, daily, features, windows, True)
    folded = deltas.filter(deltas.day <= last_day).mutate(
        day=ibis.greatest(deltas.day, deltas.start)
    )
    dense = _dense(grid, folded)
    running = ibis.cumulative_window(group_by=dense.account_id, order_by=dense.day)
    sums: dict[str, ir.Value] = {"active_day": dense.active_day.max().over(running)}
    for w in windows:
        for kind, name in (
            ("users_net", "active_users"),
            ("features_net", "key_features_used"),
            ("events", "events"),
            ("events_2x", "events_2x"),
            ("user_days", "user_days"),
        ):
            sums[f"{name}_{w}"] = dense[f"{kind}_{w}"].sum().over(running)
    return _previous(dense.select("account_id", "day", "date", **sums), windows)


def _previous(rolled: ir.Table, windows: Sequence[int]) -> ir.Table:
    """The previous window's events: the doubled window's minus the window's own."""
    return rolled.mutate(
        **{f"events_prev_{w}": rolled[f"events_2x_{w}"] - rolled[f"events_{w}"] for w in windows}
    ).drop(*[f"events_2x_{w}" for w in windows])
