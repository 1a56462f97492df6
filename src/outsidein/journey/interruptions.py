"""Hand-offs not taken up in time: the first interruption of the journey (the others are
:mod:`outsidein.journey.breaks`).

A hand-off is a case assignment to a function with no owner (the case waits in that
function's queue) after an assignment in another function. It is taken up by the first
later assignment of the same case in the same function that names an owner. It is broken
when nobody took it up within the journey map's limit for that pair of functions
(``[journey] handoffs``; ``DEFAULT_LIMIT_HOURS`` for a pair the map does not list), once
the limit has passed before ``as_of``; only assignments before ``as_of`` are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from outsidein.settings.journey import HandOff

__all__ = ["DEFAULT_LIMIT_HOURS", "BrokenHandoff", "broken_handoffs"]

DEFAULT_LIMIT_HOURS = 72.0


@dataclass(frozen=True)
class BrokenHandoff:
    handoff_id: str  # the queue row's assignment_id
    case_id: str
    account_id: str
    from_function: str
    to_function: str
    handed_at: datetime
    limit_hours: float
    taken_at: datetime | None  # late, or None: not yet
    owner: str | None

    @property
    def evidence(self) -> str:
        waited = (
            f"taken up {self.hours_to_take_up:.0f} h later by {self.owner}"
            if self.taken_at is not None
            else "nobody has taken it up"
        )
        return (
            f"case {self.case_id} handed from {self.from_function} to {self.to_function} at "
            f"{self.handed_at:%Y-%m-%d %H:%M}; limit {self.limit_hours:g} h; {waited}"
        )

    @property
    def hours_to_take_up(self) -> float:
        if self.taken_at is None:
            return float("nan")
        return (self.taken_at - self.handed_at).total_seconds() / 3600


def broken_handoffs(
    con: duckdb.DuckDBPyConnection,
    handoffs: list[HandOff],
    as_of: datetime,
    csm: str | None = None,
    accounts: Sequence[str] | None = None,
) -> list[BrokenHandoff]:
    """Hand-offs not taken up within their limit (see the module doc), oldest first;
    ``csm`` keeps that CSM's book, ``accounts`` those accounts (the account page asks for
    one: built for every account, the rows alone took ~50 ms)."""
    pairs = [(h.from_function, h.to_function, h.within_hours) for h in handoffs] or [
        ("", "", DEFAULT_LIMIT_HOURS)
    ]
    values = ", ".join(["(?, ?, ?::DOUBLE)"] * len(pairs))
    rows = con.execute(
        f"""
        WITH a AS (
            SELECT *, lag("function") OVER (
                PARTITION BY case_id ORDER BY assigned_at, assignment_id
            ) AS prev_fn
            FROM case_assignments
            WHERE assigned_at < ?
              AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], account_id))
        ),
        limits AS (SELECT * FROM (VALUES {values}) l(f, t, hours)),
        queue AS (
            SELECT q.*, coalesce(l.hours, ?) AS limit_hours
            FROM a q LEFT JOIN limits l ON l.f = q.prev_fn AND l.t = q."function"
            WHERE q.owner IS NULL AND q.prev_fn IS NOT NULL AND q.prev_fn <> q."function"
        ),
        taken AS (
            SELECT q.assignment_id, arg_min(b.assigned_at, b.assigned_at) AS taken_at,
                   arg_min(b.owner, b.assigned_at) AS owner
            FROM queue q JOIN a b ON b.case_id = q.case_id AND b."function" = q."function"
                 AND b.owner IS NOT NULL AND b.assigned_at >= q.assigned_at
            GROUP BY q.assignment_id
        )
        SELECT q.assignment_id, q.case_id, q.account_id, q.prev_fn, q."function",
               q.assigned_at, q.limit_hours, t.taken_at, t.owner
        FROM queue q LEFT JOIN taken t USING (assignment_id)
        WHERE q.assigned_at + to_microseconds((q.limit_hours * 3600e6)::BIGINT) < ?
          AND (?::VARCHAR IS NULL
               OR q.account_id IN (SELECT account_id FROM accounts WHERE csm_id = ?))
          AND (t.taken_at IS NULL
               OR t.taken_at > q.assigned_at + to_microseconds((q.limit_hours * 3600e6)::BIGINT))
        ORDER BY q.assigned_at, q.assignment_id
        """,
        [as_of, *[None if accounts is None else list(accounts)] * 2]
        + [x for p in pairs for x in p]
        + [DEFAULT_LIMIT_HOURS, as_of, csm, csm],
    ).fetchall()
    return [BrokenHandoff(*r) for r in rows]
