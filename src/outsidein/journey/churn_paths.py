"""The paths that precede churn: the last steps of churned accounts' journeys, against the
last steps of the accounts that stayed.

An account churned on its first churn record's ``churned_at`` (the CRM's date). Its path is
its last ``steps`` touchpoints (the activity as in :mod:`outsidein.journey.store_log`) in the
``days`` before that date; an account that stayed is read the same way before ``as_of``.
Per path: churned accounts that took it, retained accounts that took it, the share of all
churned (and of all retained) accounts, and the lift (churned share over retained share).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from outsidein.journey.errors import EventLogError
from outsidein.journey.store_log import ACTIVITIES, Activity, accounts_filter

__all__ = ["ChurnPath", "churn_paths"]


@dataclass(frozen=True)
class ChurnPath:
    steps: tuple[str, ...]
    churned: int
    retained: int
    churned_share: float
    retained_share: float
    lift: float | None  # None where no retained account took the path


def churn_paths(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    steps: int = 3,
    days: int = 90,
    activity: Activity = "function_channel",
    segment: str | None = None,
    csm: str | None = None,
) -> list[ChurnPath]:
    """Paths before churn, most churned accounts first (see the module doc); ``segment`` and
    ``csm`` keep those accounts."""
    if activity not in ACTIVITIES:
        raise EventLogError(f"activity {activity!r}: one of {', '.join(ACTIVITIES)}")
    if not 1 <= steps <= 20 or not 1 <= days <= 3660:
        raise EventLogError("steps must be 1..20 and days 1..3660")
    scope, scope_params = accounts_filter(segment, csm, "a.account_id")
    rows = con.execute(
        f"""
        WITH churn AS (
            SELECT account_id, min(churned_at)::TIMESTAMP AS d FROM churn_records GROUP BY 1
        ),
        ends AS (
            SELECT a.account_id, coalesce(c.d, ?::TIMESTAMP) AS d, c.d IS NOT NULL AS churned
            FROM accounts a LEFT JOIN churn c USING (account_id) WHERE {scope}
        ),
        tp AS (
            SELECT t.account_id, e.churned, {ACTIVITIES[activity]} AS step,
                   row_number() OVER (
                       PARTITION BY t.account_id ORDER BY t."at" DESC, t.touchpoint_id DESC
                   ) AS rn
            FROM touchpoints t JOIN ends e USING (account_id)
            WHERE t."at" < e.d AND t."at" >= e.d - to_days(?::INTEGER)
        ),
        paths AS (
            SELECT account_id, any_value(churned) AS churned, list(step ORDER BY rn DESC) AS path
            FROM tp WHERE rn <= ? GROUP BY account_id
        )
        SELECT path, count(*) FILTER (WHERE churned), count(*) FILTER (WHERE NOT churned),
               (SELECT count(*) FILTER (WHERE churned) FROM ends),
               (SELECT count(*) FILTER (WHERE NOT churned) FROM ends)
        FROM paths GROUP BY path
        """,
        [as_of, *scope_params, days, steps],
    ).fetchall()
    out = []
    for path, churned, retained, n_churned, n_retained in rows:
        c_share = churned / n_churned if n_churned else 0.0
        r_share = retained / n_retained if n_retained else 0.0
        out.append(
            ChurnPath(
                tuple(path),
                churned,
                retained,
                c_share,
                r_share,
                c_share / r_share if r_share else None,
            )
        )
    out.sort(key=lambda p: (-p.churned, -(p.lift or float("inf")), p.steps))
    return out
