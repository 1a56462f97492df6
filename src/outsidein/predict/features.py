"""Feature rows as of an observation day, from data before the end of that day only.

Most features are the health inputs (:func:`outsidein.health.inputs.inputs_at`: the daily
snapshot's usage and MRR, surveys, open cases, days to renewal, lifecycle status), the one
definition of each. Beside them, trends the snapshot holds for earlier days (MRR and active
users now against 28 and 90 days before), account age, case arrivals over the last 90 and 180
days, and a change of champion (a champion contact added after the account's first one).

Fields without history (today's segment, the parent account, custom fields) would leak the
present into the past: they are left out unless the user marks them static (they then enter
every row with today's value, and the model report lists them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.health.inputs import CUSTOM_PREFIX, FIELDS, inputs_at
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig

__all__ = ["DERIVED", "FAMILIES", "NO_HISTORY", "family_of", "features_at", "static_allowed"]

NO_HISTORY = tuple(f.name for f in FIELDS if not f.history)
DROPPED = ("last_activity_date", "first_value_date", "arr")  # dates, and 12 x mrr


@dataclass(frozen=True)
class Derived:
    name: str
    family: str
    description: str


DERIVED = (
    Derived("mrr_change_90", "revenue", "MRR against 90 days before, minus 1"),
    Derived("active_users_change_28", "usage", "active users (28 days) against 28 days before"),
    Derived("active_users_change_90", "usage", "active users (28 days) against 90 days before"),
    Derived("account_age_days", "tenure", "days since the account was created"),
    Derived("cases_opened_90", "support", "cases opened in the last 90 days"),
    Derived("severe_cases_180", "support", "high or urgent cases opened in the last 180 days"),
    Derived("champion_changed_days", "champion", "days since a new champion was added"),
    Derived("touchpoints_90", "journey", "touchpoints in the last 90 days"),
    Derived("failed_touchpoint_share_90", "journey", "share of them that failed"),
    Derived("contract_term_months", "renewal", "term of the latest contract signed (1: monthly)"),
    Derived("contract_age_days", "renewal", "days since the latest contract's term started"),
    Derived("active_users_change_56", "usage", "active users (28 days) against 56 days before"),
    Derived("events_change_28", "usage", "events (28 days) against 28 days before"),
    Derived("events_change_90", "usage", "events (28 days) against 90 days before"),
    Derived("severe_cases_90", "support", "high or urgent cases opened in the last 90 days"),
    Derived(
        "severe_cases_peak_30",
        "support",
        "most high or urgent cases opened in one 30-day stretch of the last 180 days",
    ),
    Derived(
        "case_time_to_sla_90",
        "support",
        "mean time to close / the SLA, of the cases closed in the last 90 days",
    ),
    Derived(
        "champion_left_noted_days",
        "champion",
        "days since a touchpoint noted that the champion left",
    ),
)

# Each feature's family: reasons are told per family ("usage fell", "cases piled up").
FAMILIES: dict[str, str] = {
    "mrr": "revenue", "seats_bought": "seats", "seats_used": "seats",
    "seat_utilization": "seats", "days_since_last_activity": "usage",
    "time_to_first_value_days": "onboarding", "nps": "surveys", "csat": "surveys",
    "ces": "surveys", "open_cases": "support", "urgent_cases": "support",
    "breached_slas": "support", "days_to_renewal": "renewal", "lifecycle_status": "renewal",
    "tier": "tier", "segment": "segment", "parent_account_id": "segment",
    "journey_stage": "journey", "days_in_stage": "journey", "interruptions_30d": "journey",
    "open_interruptions": "journey", "outcome_satisfaction": "outcomes",
    "plans_off_track": "success plans", "clv": "value", "p_alive": "value", "p_renew": "value",
    "expected_transactions": "value", "rfm_segment": "value",
    **{d.name: d.family for d in DERIVED},
}  # fmt: skip


def family_of(name: str) -> str:
    """The family a feature belongs to (usage for the windowed usage columns)."""
    if name in FAMILIES:
        return FAMILIES[name]
    if name.startswith(CUSTOM_PREFIX):
        return "custom fields"
    return "usage"


def static_allowed(
    con: duckdb.DuckDBPyConnection, today: date, config: AnalyticsConfig
) -> list[str]:
    """Fields without history a user may mark static (today's segment, custom fields)."""
    names = inputs_at(con, today, accounts=[], config=config).column_names
    return [n for n in names if n in NO_HISTORY or n.startswith(CUSTOM_PREFIX)]


def _snapshot_back(con: duckdb.DuckDBPyConnection, day: date, back: int) -> pa.Table:
    cur = con.cursor()
    try:
        return cur.sql(
            "SELECT account_id, mrr::DOUBLE AS mrr, active_users_28::DOUBLE AS users, "
            "events_28::DOUBLE AS events "
            "FROM account_daily_metrics WHERE date = $day",
            params={"day": day - timedelta(days=back)},
        ).to_arrow_table()
    finally:
        cur.close()


def _extra(con: duckdb.DuckDBPyConnection, day: date) -> pa.Table:
    """Account age, case arrivals and champion changes, from facts before the end of ``day``."""
    end = datetime.combine(day + timedelta(days=1), time())
    cur = con.cursor()
    try:
        return cur.sql(
            """
            WITH c180 AS (
                SELECT account_id, opened_at,
                       priority IN ('high', 'urgent') AS severe,
                       date_diff('day', opened_at, $end) // 30 AS block
                FROM cases WHERE opened_at < $end AND opened_at >= $end - INTERVAL 180 DAY
            ),
            peak AS (
                SELECT account_id, max(n) AS peak FROM (
                    SELECT account_id, count(*) FILTER (WHERE severe) AS n
                    FROM c180 GROUP BY account_id, block
                ) GROUP BY account_id
            ),
            cs AS (
                SELECT account_id,
                       count(*) FILTER (WHERE opened_at >= $end - INTERVAL 90 DAY) AS opened,
                       count(*) FILTER (WHERE severe) AS severe,
                       count(*) FILTER (WHERE severe AND opened_at >= $end - INTERVAL 90 DAY)
                           AS severe_90
                FROM c180 GROUP BY account_id
            ),
            closed AS (
                -- rounded: a float average's last bits follow the threads' summing order
                SELECT account_id,
                       round(avg(date_diff('minute', opened_at, closed_at) / 60.0
                                 / nullif(sla_hours, 0)), 9) AS to_sla
                FROM cases
                WHERE closed_at < $end AND closed_at >= $end - INTERVAL 90 DAY
                GROUP BY account_id
            ),
            left_noted AS (
                SELECT account_id, max("at") AS latest
                FROM touchpoints
                WHERE "at" < $end AND note ILIKE '%champion%'
                  AND (note ILIKE '%left%' OR note ILIKE '%leav%')
                GROUP BY account_id
            ),
            tp AS (
                SELECT account_id, count(*) AS n,
                       avg((outcome = 'failed')::DOUBLE) AS failed
                FROM touchpoints WHERE "at" < $end AND "at" >= $end - INTERVAL 90 DAY
                GROUP BY account_id
            ),
            ctr AS (
                SELECT account_id, arg_max(term_months, term_start) AS term,
                       max(term_start) AS start
                FROM contracts WHERE term_start < $end
                GROUP BY account_id
            ),
            champ AS (
                SELECT account_id, count(*) AS n, max(created_at) AS latest
                FROM contacts WHERE role = 'champion' AND created_at < $end
                GROUP BY account_id
            )
            SELECT a.account_id,
                   date_diff('day', a.created_at, $end)::DOUBLE AS account_age_days,
                   coalesce(cs.opened, 0)::DOUBLE AS cases_opened_90,
                   coalesce(cs.severe, 0)::DOUBLE AS severe_cases_180,
                   coalesce(cs.severe_90, 0)::DOUBLE AS severe_cases_90,
                   coalesce(peak.peak, 0)::DOUBLE AS severe_cases_peak_30,
                   closed.to_sla::DOUBLE AS case_time_to_sla_90,
                   date_diff('day', left_noted.latest, $end)::DOUBLE AS champion_left_noted_days,
                   CASE WHEN champ.n > 1 THEN date_diff('day', champ.latest, $end)::DOUBLE
                   END AS champion_changed_days,
                   coalesce(tp.n, 0)::DOUBLE AS touchpoints_90,
                   tp.failed::DOUBLE AS failed_touchpoint_share_90,
                   ctr.term::DOUBLE AS contract_term_months,
                   date_diff('day', ctr.start, $end)::DOUBLE AS contract_age_days
            FROM accounts a
            LEFT JOIN cs USING (account_id)
            LEFT JOIN champ USING (account_id)
            LEFT JOIN ctr USING (account_id)
            LEFT JOIN tp USING (account_id)
            LEFT JOIN peak USING (account_id)
            LEFT JOIN closed USING (account_id)
            LEFT JOIN left_noted USING (account_id)
            WHERE a.created_at < $end
            """,
            params={"end": end},
        ).to_arrow_table()
    finally:
        cur.close()


def _ratio(now: pa.ChunkedArray, before: pa.ChunkedArray) -> pa.Array:
    """now / before - 1, null where before is missing or 0."""
    safe = pc.if_else(pc.greater(before, 0), before, None)
    return pc.subtract(pc.divide(now, safe), 1.0)


def features_at(
    con: duckdb.DuckDBPyConnection,
    day: date,
    *,
    config: AnalyticsConfig | None = None,
    static: Sequence[str] = (),
    paying_only: bool = True,
    journey: JourneyConfig | None = None,
) -> pa.Table:
    """One row per account paying at the end of ``day`` (MRR > 0): ``account_id``, ``day``
    and the features; ``static`` names fields without history to keep (today's values)."""
    config = config or AnalyticsConfig()
    inputs = inputs_at(con, day, config=config, journey=journey)  # the map in force
    if paying_only:
        inputs = inputs.filter(pc.fill_null(pc.greater(inputs["mrr"], 0), False))
    keep = [
        n
        for n in inputs.column_names
        if n not in DROPPED
        and (n in static or (n not in NO_HISTORY and not n.startswith(CUSTOM_PREFIX)))
    ]
    table = inputs.select(keep)
    index = {}
    for back in (28, 56, 90):
        earlier = _snapshot_back(con, day, back)
        index[back] = (earlier, pc.index_in(table["account_id"], earlier["account_id"]))
    b90, i90 = index[90]
    b28, i28 = index[28]
    mrr_90 = pc.take(b90["mrr"], i90)
    table = table.append_column("mrr_change_90", _ratio(table["mrr"], mrr_90))
    users = table["active_users_28"]
    table = table.append_column("active_users_change_28", _ratio(users, pc.take(b28["users"], i28)))
    table = table.append_column("active_users_change_90", _ratio(users, pc.take(b90["users"], i90)))
    extra = _extra(con, day)
    at = pc.index_in(table["account_id"], extra["account_id"])
    for name in extra.column_names[1:]:
        table = table.append_column(name, pc.take(extra[name], at))
    b56, i56 = index[56]
    table = table.append_column("active_users_change_56", _ratio(users, pc.take(b56["users"], i56)))
    events = table["events_28"]
    table = table.append_column("events_change_28", _ratio(events, pc.take(b28["events"], i28)))
    table = table.append_column("events_change_90", _ratio(events, pc.take(b90["events"], i90)))
    days = pa.array([day] * table.num_rows, pa.date32())
    return table.add_column(1, "day", days)
