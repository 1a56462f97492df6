"""Interruptions read from touchpoints, cases and case owners, as they were before ``as_of``.

Each reader takes a cursor on which ``_oi_scope`` (the accounts in scope) is registered and
returns :class:`Found` rows dated in ``[since, as_of)``; the stage is filled in by the caller
(:mod:`outsidein.journey.interruptions`). The function of a case at an instant is the
function of its latest assignment then (``support`` when it has none).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import duckdb

from outsidein.settings.journey import InterruptionSettings

__all__ = ["Found", "case_break_counts", "case_breaks", "first_contact_resolution"]


class Found(NamedTuple):  # a tuple: thousands are built at once
    kind: str
    account_id: str
    at: datetime
    function: str | None
    ref: str  # the touchpoint, case or assignment it is about
    case_id: str | None
    template: str  # the evidence, formatted only when read (thousands are counted unread)
    args: tuple[object, ...]
    open: bool  # still going on at as_of

    @property
    def evidence(self) -> str:
        return self.template.format(*self.args)


def _h(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


D = "%Y-%m-%d %H:%M"


SCOPE = "account_id IN (SELECT account_id FROM _oi_scope)"
# the function holding a case at x.ts (x has case_id and ts)
_HOLDER = """ASOF LEFT JOIN (SELECT case_id, assigned_at, "function" AS fn, owner
                 FROM case_assignments WHERE assigned_at < $as_of) h
             ON h.case_id = x.case_id AND x.ts >= h.assigned_at"""
# a case's inbound touchpoints in order, the first one opening it
_INBOUND = f"""
    SELECT t.touchpoint_id, t.case_id, t.account_id, t."at" AS ts, t.channel,
           row_number() OVER (PARTITION BY t.case_id ORDER BY t."at", t.touchpoint_id) AS k
    FROM touchpoints t
    WHERE t.case_id IS NOT NULL AND t.direction = 'inbound' AND t."at" < $as_of AND t.{SCOPE}
"""


def _run(cur: duckdb.DuckDBPyConnection, sql: str, p: dict[str, object]) -> list[tuple]:  # type: ignore[type-arg]
    """Run ``sql`` with the parameters it names (DuckDB refuses unused ones)."""
    return cur.execute(sql, {k: v for k, v in p.items() if f"${k}" in sql}).fetchall()


# Each kind: its query (first columns ``acc, ts, is_open``: the account, when, still going
# on at as_of; then what the evidence needs) and how a row becomes a Found.
_FAILED = f"""
    SELECT account_id AS acc, "at" AS ts, FALSE AS is_open, touchpoint_id, "function",
           channel, note, case_id
    FROM touchpoints WHERE outcome = 'failed' AND "at" >= $since AND "at" < $as_of AND {SCOPE}
    ORDER BY "at", touchpoint_id"""


def _failed(rows: list[tuple], p: dict[str, object]) -> list[Found]:  # type: ignore[type-arg]
    return [
        Found("failed_touchpoint", a, at, fn, tp, case,
              f"{{0}} by {{1}} on {{2:{D}}} failed{{3}}",
              (ch, fn, at, f" ({note})" if note else ""), False)
        for a, at, _, tp, fn, ch, note, case in rows
    ]  # fmt: skip


_PING_PONG = f"""
    WITH a AS (
        SELECT case_id, account_id, assigned_at, "function" AS fn, assignment_id,
               lag("function") OVER (PARTITION BY case_id
                                     ORDER BY assigned_at, assignment_id) AS prev
        FROM case_assignments WHERE assigned_at < $as_of AND {SCOPE}
    ), moves AS (
        SELECT *, row_number() OVER (PARTITION BY case_id ORDER BY assigned_at,
                                     assignment_id) AS k
        FROM a WHERE prev IS NOT NULL AND prev <> fn
    ), pp AS (
        SELECT any_value(account_id) AS acc,
               min(assigned_at) FILTER (WHERE k = $moves + 1) AS ts, TRUE AS is_open,
               case_id, count(*) AS n,
               any_value(fn) FILTER (WHERE k = $moves + 1) AS fn,
               string_agg(prev || ' -> ' || fn, ', ' ORDER BY k) AS path
        FROM moves GROUP BY case_id HAVING count(*) > $moves
    )
    SELECT * FROM pp WHERE ts >= $since ORDER BY ts, case_id"""


def _ping_pong(rows: list[tuple], p: dict[str, object]) -> list[Found]:  # type: ignore[type-arg]
    return [
        Found("ping_pong", a, at, fn, case, case,
              "case {0} moved between functions {1} times ({2})", (case, n, path), True)
        for a, at, _, case, n, fn, path in rows
    ]  # fmt: skip


_REPEATS = f"""
    SELECT x.account_id AS acc, x.ts, FALSE AS is_open, x.touchpoint_id, h.fn, x.case_id,
           c.closed_at, c.subject, x.channel
    FROM ({_INBOUND}) x JOIN cases c ON c.case_id = x.case_id
    {_HOLDER}
    WHERE c.closed_at IS NOT NULL AND x.ts > c.closed_at
      AND x.ts <= c.closed_at + to_microseconds(($repeat_days * 86400e6)::BIGINT)
      AND x.ts >= $since
    ORDER BY x.ts, x.touchpoint_id"""


def _repeats(rows: list[tuple], p: dict[str, object]) -> list[Found]:  # type: ignore[type-arg]
    return [
        Found("repeat_contact", a, at, fn or "support", tp, case,
              f"came back by {{0}} about case {{1}} ({{2}}) {{3:.0f}} h after it was closed on "
              f"{{4:{D}}}", (ch, case, subject or "no subject", _h(closed, at), closed), False)
        for a, at, _, tp, fn, case, closed, subject, ch in rows
    ]  # fmt: skip


_CHASING = f"""
    SELECT x.account_id AS acc, x.ts, (c.closed_at IS NULL OR c.closed_at >= $as_of) AS is_open,
           x.touchpoint_id, h.fn, x.case_id, c.opened_at, x.channel
    FROM ({_INBOUND}) x JOIN cases c ON c.case_id = x.case_id
    {_HOLDER}
    WHERE x.k > 1 AND x.ts > c.opened_at AND (c.closed_at IS NULL OR x.ts < c.closed_at)
      AND x.ts >= $since
    ORDER BY x.ts, x.touchpoint_id"""


def _chasing(rows: list[tuple], p: dict[str, object]) -> list[Found]:  # type: ignore[type-arg]
    return [
        Found("chasing", a, at, fn or "support", tp, case,
              f"chased by {{0}} on {{1:{D}}}: case {{2}} open {{3:.0f}} h, waiting on {{4}}",
              (ch, at, case, _h(opened, at), fn or "support"), still)
        for a, at, still, tp, fn, case, opened, ch in rows
    ]  # fmt: skip


# the same rule as the health input breached_slas (outsidein.health.inputs)
_SLA = f"""
    SELECT x.account_id AS acc, x.ts, (x.closed_at IS NULL OR x.closed_at >= $as_of) AS is_open,
           x.case_id, h.fn, x.priority, x.sla_hours, x.closed_at
    FROM (SELECT case_id, account_id, priority, sla_hours, closed_at, status,
                 opened_at + to_microseconds((sla_hours * 3600e6)::BIGINT) AS ts
          FROM cases WHERE {SCOPE}) x
    {_HOLDER}
    WHERE x.ts >= $since AND x.ts < $as_of
      AND (x.closed_at IS NULL OR x.closed_at > x.ts)
      AND NOT (x.closed_at IS NULL AND x.status IN ('solved', 'closed'))
    ORDER BY x.ts, x.case_id"""


def _sla(rows: list[tuple], p: dict[str, object]) -> list[Found]:  # type: ignore[type-arg]
    out = []
    for a, at, still, case, fn, prio, sla, closed in rows:
        late = "still open" if still else f"resolved {_h(at, closed):.0f} h late"
        out.append(Found("sla_breach", a, at, fn or "support", case, case,
                         f"case {{0}} ({{1}}, SLA {{2:g}} h) ran out on {{3:{D}}}: {{4}}",
                         (case, prio, sla, at, late), still))  # fmt: skip
    return out


_UNOWNED = f"""
    WITH x AS (
        SELECT case_id, account_id, opened_at, $as_of AS ts FROM cases
        WHERE opened_at < $as_of AND (closed_at IS NULL OR closed_at >= $as_of)
          AND NOT (closed_at IS NULL AND status IN ('solved', 'closed')) AND {SCOPE}
          AND EXISTS (SELECT 1 FROM case_assignments)  -- else nothing is known about owners
    ), u AS (
        SELECT x.account_id AS acc,
               coalesce(h.assigned_at, x.opened_at)
                   + to_microseconds(($unowned_hours * 3600e6)::BIGINT) AS ts,
               TRUE AS is_open, x.case_id, coalesce(h.assigned_at, x.opened_at) AS since_at, h.fn
        FROM x {_HOLDER}
        WHERE h.owner IS NULL
    )
    SELECT * FROM u WHERE ts < $as_of AND ts >= $since ORDER BY ts, case_id"""


def _unowned(rows: list[tuple], p: dict[str, object]) -> list[Found]:  # type: ignore[type-arg]
    as_of: datetime = p["as_of"]  # type: ignore[assignment]
    out = []
    for a, at, _, case, since, fn in rows:
        where = f"in {fn}'s queue" if fn else "never assigned"
        out.append(Found("no_owner", a, at, fn or "support", case, case,
                         f"case {{0}} {{1}} since {{2:{D}}}, nobody owns it ({{3:.0f}} h)",
                         (case, where, since, _h(since, as_of)), True))  # fmt: skip
    return out


_READERS = (
    (_FAILED, _failed), (_SLA, _sla), (_CHASING, _chasing), (_REPEATS, _repeats),
    (_PING_PONG, _ping_pong), (_UNOWNED, _unowned),
)  # fmt: skip


def _params(settings: InterruptionSettings, since: datetime, as_of: datetime) -> dict[str, object]:
    return {
        "since": since,
        "as_of": as_of,
        "repeat_days": settings.repeat_days,
        "moves": settings.ping_pong_moves,
        "unowned_hours": settings.unowned_hours,
    }


def case_breaks(
    cur: duckdb.DuckDBPyConnection,
    settings: InterruptionSettings,
    since: datetime,
    as_of: datetime,
) -> list[Found]:
    """Failed touchpoints, ping-pong, repeat contacts, chasing, SLA breaches and cases with
    no owner in ``[since, as_of)`` for the accounts of ``_oi_scope`` (docs/journey.md)."""
    p = _params(settings, since, as_of)
    found: list[Found] = []
    for sql, build in _READERS:
        found += build(_run(cur, sql, p), p)
    return found


def case_break_counts(
    cur: duckdb.DuckDBPyConnection,
    settings: InterruptionSettings,
    since: datetime,
    as_of: datetime,
    recent: datetime,
) -> dict[str, tuple[int, int]]:
    """The same, counted per account in SQL: (dated from ``recent`` on, still open)."""
    p = {**_params(settings, since, as_of), "recent": recent}
    out: dict[str, tuple[int, int]] = {}
    for sql, _ in _READERS:
        counted = (
            f"SELECT acc, count(*) FILTER (WHERE ts >= $recent), count(*) FILTER (WHERE is_open)"
            f" FROM ({sql}) GROUP BY acc"
        )
        for a, n_recent, n_open in _run(cur, counted, p):
            r, o = out.get(a, (0, 0))
            out[a] = (r + n_recent, o + n_open)
    return out


def first_contact_resolution(
    cur: duckdb.DuckDBPyConnection,
    settings: InterruptionSettings,
    since: datetime,
    as_of: datetime,
) -> tuple[int, int]:
    """Cases closed in ``[since, as_of)`` and how many of them took one contact: the customer
    neither chased them nor came back about them within ``repeat_days``."""  # fmt: skip
    row = cur.execute(
        f"""WITH c AS (SELECT case_id, closed_at FROM cases
                       WHERE closed_at >= $since AND closed_at < $as_of AND {SCOPE}),
        more AS (
            SELECT DISTINCT x.case_id FROM ({_INBOUND}) x JOIN c USING (case_id)
            WHERE x.k > 1 AND x.ts <= c.closed_at
                  + to_microseconds(($repeat_days * 86400e6)::BIGINT)
        )
        SELECT count(*), count(*) FILTER (WHERE case_id NOT IN (SELECT case_id FROM more))
        FROM c""",
        {"since": since, "as_of": as_of, "repeat_days": settings.repeat_days},
    ).fetchall()[0]
    return int(row[0]), int(row[1])
