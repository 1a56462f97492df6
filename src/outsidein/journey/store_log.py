"""Journeys from the store: touchpoints and case assignments as event logs, the handover of
work between functions, and the stage funnel.

A touchpoint log's case is an account (its whole journey) or a support case; its activity is
the touchpoint's channel, function, stage, or ``function: channel`` (the default). Events are
read ordered by case, time and touchpoint id: ties at one instant follow the id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb

from outsidein.journey.discover import dfg
from outsidein.journey.errors import EventLogError
from outsidein.journey.eventlog import EventLog, from_arrays
from outsidein.settings.journey import Stage

__all__ = [
    "ACTIVITIES",
    "FunnelStep",
    "Handover",
    "accounts_filter",
    "handovers",
    "stage_funnel",
    "touchpoint_log",
]

Activity = Literal["function_channel", "channel", "function", "stage"]
ACTIVITIES: dict[str, str] = {
    "function_channel": "\"function\" || ': ' || channel",
    "channel": "channel",
    "function": '"function"',
    "stage": "coalesce(stage, 'unknown')",
}
CASES = {"account": "account_id", "case": "case_id"}


def _window(
    since: datetime | None, until: datetime | None, column: str
) -> tuple[str, list[object]]:
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append(f"{column} >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{column} < ?")
        params.append(until)
    return (" AND ".join(where) or "true"), params


def accounts_filter(
    segment: str | None, csm: str | None, column: str = "account_id"
) -> tuple[str, list[object]]:
    """SQL keeping the accounts of a segment (``accounts.segment``) and of a CSM's book."""
    where: list[str] = ["true"]
    params: list[object] = []
    if segment is not None:
        where.append(f"{column} IN (SELECT account_id FROM accounts WHERE segment = ?)")
        params.append(segment)
    if csm is not None:
        where.append(f"{column} IN (SELECT account_id FROM accounts WHERE csm_id = ?)")
        params.append(csm)
    return " AND ".join(where), params


def touchpoint_log(
    con: duckdb.DuckDBPyConnection,
    *,
    case: Literal["account", "case"] = "account",
    activity: Activity = "function_channel",
    since: datetime | None = None,
    until: datetime | None = None,
    csm: str | None = None,
    segment: str | None = None,
) -> EventLog:
    """The touchpoints as an event log (see the module doc); ``case = "case"`` keeps only
    touchpoints that name their support case; ``csm`` keeps that CSM's book, ``segment``
    the accounts of that segment."""
    if activity not in ACTIVITIES:
        raise EventLogError(f"activity {activity!r}: one of {', '.join(ACTIVITIES)}")
    if case not in CASES:
        raise EventLogError(f"case {case!r}: one of {', '.join(CASES)}")
    key = CASES[case]
    where, params = _window(since, until, '"at"')
    scope, scope_params = accounts_filter(segment, csm)
    where += f" AND {scope}"
    params += scope_params
    table = con.sql(
        f'SELECT {key} AS c, {ACTIVITIES[activity]} AS a, "at" AS t FROM touchpoints '
        f"WHERE {key} IS NOT NULL AND {where} ORDER BY c, t, touchpoint_id",
        params=params,
    ).to_arrow_table()
    return from_arrays(table.column("c"), table.column("a"), table.column("t"))


@dataclass(frozen=True)
class Handover:
    """Work passed from one function to another within a case, and how often."""

    from_function: str
    to_function: str
    count: int


def handovers(
    con: duckdb.DuckDBPyConnection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    segment: str | None = None,
    csm: str | None = None,
) -> list[Handover]:
    """The handover-of-work network between functions: successive owners of each case
    (``case_assignments``) from different functions; the directly-follows graph of each
    case's functions, self-loops (a reassignment within a function) left out."""
    where, params = _window(since, until, "assigned_at")
    scope, scope_params = accounts_filter(segment, csm)
    where += f" AND {scope}"
    params += scope_params
    table = con.sql(
        f'SELECT case_id, "function", assigned_at FROM case_assignments WHERE {where} '
        "ORDER BY case_id, assigned_at, assignment_id",
        params=params,
    ).to_arrow_table()
    log = from_arrays(table.column(0), table.column(1), table.column(2))
    edges = dfg(log).edges()
    out = [Handover(a, b, n) for (a, b), n in edges.items() if a != b]
    out.sort(key=lambda h: (-h.count, h.from_function, h.to_function))
    return out


@dataclass(frozen=True)
class FunnelStep:
    """Accounts that reached a stage, and how many of them went on to the next."""

    stage: str
    phase: str
    reached: int
    went_on: int  # reached this stage and a later one
    conversion: float | None  # went_on / reached
    drop_off: int  # reached this stage and no later one


def stage_funnel(
    con: duckdb.DuckDBPyConnection,
    stages: list[Stage],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    segment: str | None = None,
    csm: str | None = None,
) -> list[FunnelStep]:
    """The stage funnel over the journey map's stages, in order: an account reached a stage
    when it has a touchpoint in it (its ``stage``, else a channel the map puts there);
    ``segment`` and ``csm`` keep those accounts."""
    names = [s.name for s in stages]
    channel_stage = {c: s.name for s in stages for c in s.channels}
    where, params = _window(since, until, '"at"')
    scope, scope_params = accounts_filter(segment, csm, "t.account_id")
    where += f" AND {scope}"
    params += scope_params
    pairs = list(channel_stage.items()) or [("", "")]
    values = ", ".join(["(?, ?)"] * len(pairs))
    rank_sql = " ".join(f"WHEN ? THEN {i}" for i in range(len(names)))
    sql = f"""
        WITH m AS (SELECT * FROM (VALUES {values}) m(ch, st)),
        tp AS (
            SELECT t.account_id, coalesce(t.stage, m.st) AS st
            FROM touchpoints t LEFT JOIN m ON m.ch = t.channel WHERE {where}
        ),
        ranked AS (SELECT DISTINCT account_id, CASE st {rank_sql} END AS r FROM tp)
        SELECT r, max(r) OVER (PARTITION BY account_id) AS max_r
        FROM ranked WHERE r IS NOT NULL
    """
    flat = [x for pair in pairs for x in pair]
    rows = con.execute(sql, [*flat, *params, *names]).fetchall()
    reached = [0] * len(names)
    went_on = [0] * len(names)
    for r, max_r in rows:
        reached[r] += 1
        if max_r > r:
            went_on[r] += 1
    return [
        FunnelStep(
            s.name,
            s.phase,
            reached[i],
            went_on[i],
            went_on[i] / reached[i] if reached[i] and i < len(names) - 1 else None,
            reached[i] - went_on[i],
        )
        for i, s in enumerate(stages)
    ]
