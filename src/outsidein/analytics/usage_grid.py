"""The account x day grid of usage counts, in two equivalent forms.

Counting distinct users over a sliding window without a per-day self-join: each active
day ``q`` of a user covers the windows ending on days ``[q, q + w)``; cut short at the
user's next active day, these pieces never overlap, so the users active in the window
ending on ``d`` are ``Σ_{x<=d} starts(x) - Σ_{x<=d} ends(x)``, a running sum.

* :func:`dense_grid` (long ranges: builds, rebuilds) keeps a dense grid that starts at an
  account's first activity, at most ``2 x longest window`` days early. It keeps only the
  pieces' starts and ends that do not cancel (a user idle for more than ``w`` days),
  counts a key feature while its last day of use is in the window, and takes the events
  and user-days in a window as differences of running totals ``w`` rows apart. Its inputs
  stay narrow, so it runs in bounded memory over a whole year.
* :func:`folded_grid` (short ranges: daily updates) turns every count into a running sum
  of *deltas* (a day's events are added, and taken away ``w`` days later) and folds the
  deltas dated before an account's first row into that row, so the grid holds only the
  days asked for: one row per account for a daily update, however long the windows.
  Key features are counted there by the same pieces as users.

Both return per account and day: ``active_day`` (latest day with events so far),
``active_users_w``, ``key_features_used_w``, ``events_w``, ``events_prev_w`` and
``user_days_w``. The incremental-equals-rebuild test compares one form with the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.periods import days_table

KINDS = ("users_net", "features_net", "user_days", "events", "events_2x")


def _coverage(items: ir.Table, key: str, windows: Sequence[int], prefix: str) -> list[ir.Table]:
    """Deltas of "distinct ``key`` values active in the window", per account and day.

    ``items``: one row per account, ``key`` and active day. A value's active day adds 1
    to ``{prefix}_net_{w}``; the end of its coverage piece subtracts it. For users,
    the user-days in the window (``user_days_{w}``) get the matching delta ``w`` days later.
    """
    following = items.day.lead().over(
        ibis.window(group_by=[items.aid, items[key]], order_by=items.day)
    )
    spans = items.mutate(next_day=following)
    if key == "user_id":  # aggregated usage without a user counts events, not users
        spans = spans.filter(spans.user_id.notnull())
    count = spans.count().cast(dt.int64)
    users = prefix == "users"
    starts = {f"{prefix}_net_{w}": count for w in windows}
    if users:
        starts |= {f"user_days_{w}": count for w in windows}
    pieces = [spans.group_by(["aid", "start", "day"]).agg(**starts)]
    for w in windows:
        natural = spans.day + w
        end = ibis.least(natural, spans.next_day.coalesce(natural))
        pieces.append(
            spans.group_by(["aid", "start", end.name("day")]).agg(**{f"{prefix}_net_{w}": -count})
        )
        if users:
            pieces.append(
                spans.group_by(["aid", "start", natural.name("day")]).agg(
                    **{f"user_days_{w}": -count}
                )
            )
    return pieces


def _event_deltas(daily: ir.Table, windows: Sequence[int]) -> list[ir.Table]:
    """A day's events (and its active day), and their removal from the window ``w`` days
    later and from the doubled window ``2w`` days later."""
    active = ibis.ifelse(daily.events > 0, daily.day, ibis.null(dt.int64))
    columns = {f"events_{w}": daily.events for w in windows}
    columns |= {f"events_2x_{w}": daily.events for w in windows}
    pieces = [daily.select("aid", "start", "day", active_day=active, **columns)]
    for w in windows:
        pieces.append(
            daily.select("aid", "start", day=daily.day + w, **{f"events_{w}": -daily.events})
        )
        pieces.append(
            daily.select("aid", "start", day=daily.day + 2 * w, **{f"events_2x_{w}": -daily.events})
        )
    return pieces


def _deltas(
    users: ir.Table, daily: ir.Table, features: ir.Table, windows: Sequence[int]
) -> ir.Table:
    """Every delta row in one layout: zeros (and a null active day) where a piece has none."""
    pieces = [
        *_coverage(users, "user_id", windows, "users"),
        *_event_deltas(daily, windows),
        *_coverage(features, "feature", windows, "features"),
    ]
    names = [f"{kind}_{w}" for kind in KINDS for w in windows]
    zero = ibis.literal(0, dt.int64)

    def layout(piece: ir.Table) -> ir.Table:
        active = piece.active_day if "active_day" in piece.columns else ibis.null(dt.int64)
        return piece.select(
            "aid",
            start=piece.start.cast(dt.int64),
            day=piece.day.cast(dt.int64),
            active_day=active.cast(dt.int64),
            **{n: piece[n].cast(dt.int64) if n in piece.columns else zero for n in names},
        )

    return ibis.union(*(layout(piece) for piece in pieces))


def _dense(grid: ir.Table, deltas: ir.Table) -> ir.Table:
    """The deltas summed per account and day, on every day of the grid (zeros elsewhere)."""
    sums = [c for c in deltas.columns if c not in ("aid", "start", "day", "active_day")]
    moves = deltas.group_by(["aid", "day"]).agg(
        active_day=deltas.active_day.max(), **{c: deltas[c].sum() for c in sums}
    )
    dense = grid.left_join(moves, ["aid", "day"])
    return dense.select(
        *[c for c in grid.columns], "active_day", **{c: dense[c].coalesce(0) for c in sums}
    )


def _user_changes(users: ir.Table, windows: Sequence[int]) -> tuple[ir.Table, ir.Table]:
    """Per account and day: the day's events and active users, and the changes in
    "distinct users active in the window" that happen that day, per window.

    ``users``: one row per account, user and active day. Of the coverage pieces (see the
    module's docstring) only the gaps matter: a piece cut short by the user's next active
    day ends where the next one starts, so the two cancel. A user's active day therefore
    adds 1 to window ``w`` only when the user was not active in the ``w`` days before
    (``u_start_{w}``), and takes 1 away ``w`` days later only when the user is not active
    again by then (``u_end_{w}``). Returns (starts with the day's counts, ends).
    """
    over = ibis.window(group_by=[users.aid, users.user_id], order_by=users.day)
    spans = users.select(
        "aid",
        "day",
        "events",
        person=users.user_id.notnull(),
        gap_before=users.day - users.day.lag().over(over),
        gap_after=users.day.lead().over(over) - users.day,
    )
    # Aggregated usage without a user (user_id null: ``person`` false) adds events only.
    starts = spans.group_by(["aid", "day"]).agg(
        events=spans.events.sum().cast(dt.int64),
        u_n=spans.count(where=spans.person).cast(dt.int64),
        **{
            f"u_start_{w}": spans.count(
                where=spans.person & (spans.gap_before.isnull() | (spans.gap_before > w))
            ).cast(dt.int64)
            for w in windows
        },
    )
    pieces = []
    for w in windows:
        last = spans.filter(spans.person, spans.gap_after.isnull() | (spans.gap_after > w))
        pieces.append(last.select("aid", day=last.day + w, window=ibis.literal(w, dt.int64)))
    ends = ibis.union(*pieces)
    ends = ends.group_by(["aid", "day"]).agg(
        **{f"u_end_{w}": ends.count(where=ends.window == w).cast(dt.int64) for w in windows}
    )
    return starts, ends


def dense_grid(
    users: ir.Table,
    features: ir.Table,
    key_features: Sequence[str],
    targets: ir.Table,
    first_day: int,
    last_day: int,
    windows: Sequence[int],
) -> ir.Table:
    """The grid with look-back rows: running totals and their values ``w`` rows back.

    ``users`` (aid, user_id, day, events) and ``features`` (aid, feature, day) hold the
    activity from ``start - lookback`` to ``last_day``; ``targets`` (aid, start). The
    change rows are aggregated per account and day (active days and users, the days users
    start and stop counting in a window, which key features were used), joined onto the
    grid, and the grid takes two passes: running totals (and each key feature's last day
    of use), then the totals ``w`` and ``2w`` rows back (lags) for the events and
    user-days in each window (the grid is dense, so ``w`` rows back is ``w`` days back).
    A key feature counts in window ``w`` on day ``d`` if last used after ``d - w``.
    """
    lookback = 2 * max(windows) - 1
    calendar = days_table(first_day - lookback, last_day)
    # Look-back rows only from an account's first activity: before it every total is 0,
    # which is also what a lag past the grid's first row gives.
    seen = users.group_by("aid").agg(seen=users.day.min())
    known = targets.left_join(seen, "aid")
    known = known.select(
        "aid", "start", since=ibis.least(known.start, known.seen.coalesce(known.start))
    ).view()  # a relation of its own, so the join below may refer to it
    grid = known.join(calendar, calendar.day >= known.since).select("aid", "start", "day", "date")
    starts, ends = _user_changes(users, windows)
    flags = {
        f"k_{i}": features.count(where=features.feature == name).cast(dt.int64)
        for i, name in enumerate(key_features)
    }
    used = features.group_by(["aid", "day"]).agg(**flags) if flags else None
    dense = grid.left_join(starts, ["aid", "day"]).left_join(ends, ["aid", "day"])
    counts = [c for c in (*starts.columns, *ends.columns) if c not in ("aid", "day")]
    if used is not None:
        dense = dense.left_join(used, ["aid", "day"])
        counts += list(flags)
    dense = dense.select("aid", "start", "day", "date", **{c: dense[c].coalesce(0) for c in counts})
    running = ibis.cumulative_window(group_by=dense.aid, order_by=dense.day)

    def last_day_when(used_today: ir.BooleanValue) -> ir.IntegerValue:
        day: ir.IntegerValue = ibis.ifelse(used_today, dense.day, ibis.null(dt.int64))
        return day.max().over(running)

    totals: dict[str, ir.Value] = {
        "active_day": last_day_when(dense.events > 0),
        "events_all": dense.events.sum().over(running),
        "user_days_all": dense.u_n.sum().over(running),
    }
    for w in windows:
        net = dense[f"u_start_{w}"] - dense[f"u_end_{w}"]
        totals[f"active_users_{w}"] = net.sum().over(running)
    for flag in flags:
        totals[f"last_{flag}"] = last_day_when(dense[flag] > 0)
    summed = dense.select("aid", "start", "day", "date", **totals)
    back = ibis.window(group_by=summed.aid, order_by=summed.day)
    events, user_days = summed.events_all, summed.user_days_all
    rolled: dict[str, ir.Value] = {}
    for w in windows:
        rolled[f"active_users_{w}"] = summed[f"active_users_{w}"]
        in_window = [ibis.ifelse(summed[f"last_{flag}"] > summed.day - w, 1, 0) for flag in flags]
        rolled[f"key_features_used_{w}"] = (
            sum(in_window[1:], in_window[0]) if in_window else ibis.literal(0, dt.int64)
        ).cast(dt.int64)
        rolled[f"events_{w}"] = events - events.lag(w, 0).over(back)
        rolled[f"events_prev_{w}"] = events.lag(w, 0).over(back) - events.lag(2 * w, 0).over(back)
        rolled[f"user_days_{w}"] = user_days - user_days.lag(w, 0).over(back)
    result = summed.select("aid", "start", "day", "date", "active_day", **rolled)
    return result.filter(result.day >= result.start).drop("start")


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
    grid = targets.join(calendar, calendar.day >= targets.start).select("aid", "day", "date")
    deltas = _deltas(users, daily, features, windows)
    folded = deltas.filter(deltas.day <= last_day).mutate(
        day=ibis.greatest(deltas.day, deltas.start)
    )
    dense = _dense(grid, folded)
    running = ibis.cumulative_window(group_by=dense.aid, order_by=dense.day)
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
    return _previous(dense.select("aid", "day", "date", **sums), windows)


def _previous(rolled: ir.Table, windows: Sequence[int]) -> ir.Table:
    """The previous window's events: the doubled window's minus the window's own."""
    return rolled.mutate(
        **{f"events_prev_{w}": rolled[f"events_2x_{w}"] - rolled[f"events_{w}"] for w in windows}
    ).drop(*[f"events_2x_{w}" for w in windows])
