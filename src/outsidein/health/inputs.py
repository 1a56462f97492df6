"""What a health score can be computed from: one row per account, as the data was on a day.

:data:`FIELDS` is the typed catalogue of input columns (docs/health-data.md lists them);
:func:`inputs_at` computes them for one day. "As it was" means from facts dated up to the end
of that day (UTC): the snapshot row of the day, survey answers and cases by their own
timestamps, subscriptions and contracts by their dates, so nothing dated later changes a row.
Fields whose source keeps no history (``history=False``: the account's segment today) are the
current value; a backtest leaves them out, as it leaves out the accounts' custom fields
(``custom.<name>`` columns, :func:`with_custom_fields`).

Each number has one definition elsewhere and is only gathered here: the usage metrics and MRR
are the snapshot's (``account_daily_metrics``), the lifecycle status and the next renewal are
:func:`outsidein.analytics.lifecycle.account_status`'s, the touch tier is the tier history's
(:mod:`outsidein.tiers.history`) in force on the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.analytics.backend import store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.analytics.snapshot import read_state
from outsidein.jobs import fields as outcome_fields
from outsidein.journey.health_inputs import journey_inputs
from outsidein.plans.progress import off_track_counts
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig
from outsidein.store import custom_fields
from outsidein.tiers.history import tiers_in_force

__all__ = [
    "CUSTOM_PREFIX",
    "FIELDS",
    "SNAPSHOT_FIELDS",
    "Field",
    "field",
    "inputs_at",
    "scoring_day",
    "with_custom_fields",
]

FieldType = Literal["number", "text", "date"]
NPS_DAYS = 365  # the latest NPS answer counts for a year
SURVEY_DAYS = 90  # CSAT and CES: the mean of the answers in the last 90 days
BREACH_DAYS = 90  # SLA breaches in the last 90 days
MANY = 20_000  # asked for more accounts than this, compute all and keep those


@dataclass(frozen=True)
class Field:
    """One input column: its name, type, meaning and unit; ``history``: known for past days."""

    name: str
    type: FieldType
    description: str
    unit: str = ""
    history: bool = True


def _usage(window: int) -> tuple[Field, ...]:
    w = f"the {window} days ending on the day"
    return (
        Field(f"active_users_{window}", "number", f"distinct users with an event in {w}", "users"),
        Field(f"events_{window}", "number", f"events in {w}", "events"),
        Field(
            f"events_per_active_user_{window}", "number", f"events per active user in {w}", "events"
        ),
        Field(f"key_features_used_{window}", "number", f"key features used in {w}", "features"),
        Field(f"breadth_{window}", "number", f"share of the key features used in {w}", "ratio"),
        Field(f"stickiness_{window}", "number", f"daily / all active users in {w}", "ratio"),
        Field(f"events_prev_{window}", "number", f"events in the {window} days before", "events"),
        Field(
            f"events_trend_{window}", "number", f"events vs the {window} days before, minus 1",
            "ratio",
        ),
    )  # fmt: skip


# Every metric column of account_daily_metrics, in the table's order (a test checks it).
SNAPSHOT_FIELDS: tuple[Field, ...] = (
    Field("mrr", "number", "MRR in the reporting currency", "currency"),
    Field("seats_bought", "number", "seats of the active subscriptions", "seats"),
    Field("seats_used", "number", "active users in the last 28 days", "seats"),
    Field("seat_utilization", "number", "seats used / seats bought", "ratio"),
    *_usage(7),
    *_usage(28),
    *_usage(90),
    Field("last_activity_date", "date", "the latest day with an event"),
    Field("days_since_last_activity", "number", "days since the latest event", "days"),
    Field("first_value_date", "date", "the first day of the value event"),
    Field(
        "time_to_first_value_days", "number", "days from the first subscription to first value",
        "days",
    ),
)  # fmt: skip

FIELDS: tuple[Field, ...] = (
    *SNAPSHOT_FIELDS,
    Field("nps", "number", f"the latest NPS answer in the last {NPS_DAYS} days", "0-10"),
    Field("csat", "number", f"mean CSAT answer in the last {SURVEY_DAYS} days", "1-5"),
    Field("ces", "number", f"mean CES answer in the last {SURVEY_DAYS} days", "1-7"),
    Field("open_cases", "number", "cases open at the end of the day", "cases"),
    Field("urgent_cases", "number", "open cases of priority urgent", "cases"),
    Field(
        "breached_slas", "number",
        f"cases whose resolution SLA ran out unresolved in the last {BREACH_DAYS} days", "cases",
    ),
    Field(
        "days_to_renewal", "number", "days to the next renewal of a term contract in force",
        "days",
    ),
    Field("lifecycle_status", "text", "prospect, trial, onboarding, active, renewal or churned"),
    Field("segment", "text", "the account's segment (today's: no history is kept)", history=False),
    Field("tier", "text", "the account's touch tier in force on the day (docs/tiers.md)"),
    Field("arr", "number", "12 x mrr: what parent accounts roll up by", "currency"),
    Field(
        "parent_account_id", "text", "the account's parent (today's: no history is kept)",
        history=False,
    ),
    # the journey (outsidein.journey.health_inputs)
    Field("journey_stage", "text", "the journey stage on the day (docs/journey.md), or left"),
    Field("days_in_stage", "number", "days in that stage at the end of the day", "days"),
    Field(
        "interruptions_30d", "number", "journey interruptions in the last 30 days",
        "interruptions",
    ),
    Field(
        "open_interruptions", "number",
        "journey interruptions of the last 90 days still going on", "interruptions",
    ),
    # Customer lifetime value (outsidein.clv): the last scoring on or before the day (stored
    # per scoring day; null before the first scoring and for accounts it left unscored).
    Field("clv", "number", "discounted lifetime value, last CLV scoring (docs/clv.md)",
          "currency"),
    Field("p_alive", "number", "one-off buyers: P(still a customer), last CLV scoring",
          "ratio"),
    Field("p_renew", "number", "subscribers: P(renews at the next billing date), last CLV "
          "scoring", "ratio"),
    Field("expected_transactions", "number", "one-off buyers: expected purchases in the "
          "next 52 weeks, last CLV scoring", "purchases"),
    Field("rfm_segment", "text", "one-off buyers: RFM group (champions, loyal, new, at risk, "
          "hibernating, lost), last CLV scoring"),
    # success in the customer's own terms (docs/jobs.md, docs/plans.md)
    Field(
        "outcome_satisfaction", "number",
        "top-two-box satisfaction x 10 over the account's latest outcome survey by the day",
        "0-10",
    ),
    Field(
        "plans_off_track", "number",
        "the account's success plans off track on the day (null: no plan started by then)",
        "plans",
    ),
)  # fmt: skip

_BY_NAME = {f.name: f for f in FIELDS}
_ARROW: dict[FieldType, pa.DataType] = {
    "number": pa.float64(),
    "text": pa.string(),
    "date": pa.date32(),
}
_SQL: dict[FieldType, str] = {"number": "DOUBLE", "text": "VARCHAR", "date": "DATE"}


def field(name: str) -> Field:
    """The catalogue entry of ``name`` (KeyError naming the known fields otherwise)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no input field {name!r}; the fields are {', '.join(_BY_NAME)}") from None


def schema() -> pa.Schema:
    """The Arrow schema of :func:`inputs_at`'s answer."""
    return pa.schema([("account_id", pa.string())] + [(f.name, _ARROW[f.type]) for f in FIELDS])


def _snapshot_columns() -> str:
    return ", ".join(f"m.{f.name}::{_SQL[f.type]} AS {f.name}" for f in SNAPSHOT_FIELDS)


def inputs_at(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    accounts: Sequence[str] | None = None,
    config: AnalyticsConfig | None = None,
    journey: JourneyConfig | None = None,
) -> pa.Table:
    """One row per account that existed on ``as_of`` (or per id in ``accounts`` that did).

    ``journey``: the journey map the journey fields are read with (the default map if None).

    A metric the snapshot has no row for is null (missing), never 0; survey fields are null
    without an answer in their window; case counts are 0 without cases, and null when the
    store holds no cases at all (nothing is known about support).
    """
    config = config or AnalyticsConfig()
    if accounts is not None and len(accounts) > MANY:
        # Most accounts: computing all of them and keeping some is cheaper than narrowing.
        everyone = inputs_at(con, as_of, config=config, journey=journey)
        keep = pc.is_in(everyone.column("account_id"), pa.array(list(accounts), pa.string()))
        return everyone.filter(keep)
    end = datetime.combine(as_of + timedelta(days=1), time())  # facts before this instant
    ids = (
        None
        if accounts is None
        else pa.table({"account_id": pa.array(list(accounts), pa.string())})
    )
    life = _lifecycle(con, config, as_of, ids)
    trip = journey_inputs(con, journey or JourneyConfig(), as_of, accounts)
    cur = con.cursor()  # its own registrations, released with it
    try:
        cur.register("_oi_life", life)
        cur.register("_oi_journey", trip)
        scope = ""
        if ids is not None:
            cur.register("_oi_ids", ids)
            scope = "AND a.account_id IN (SELECT account_id FROM _oi_ids)"
        no_cases = cur.execute("SELECT NOT EXISTS (SELECT 1 FROM cases)").fetchall()[0][0]
        cases_null = "NULL::DOUBLE" if no_cases else None
        table = cur.sql(
            f"""
            WITH acc AS (
                SELECT a.account_id, a.segment, a.parent_account_id FROM accounts a
                WHERE a.created_at < $end {scope}
            ),
            nps AS (
                SELECT account_id, arg_max(score, (answered_at, response_id)) AS nps
                FROM survey_responses
                WHERE kind = 'nps' AND answered_at < $end AND answered_at >= $nps_from
                GROUP BY account_id
            ),
            sat AS (
                SELECT account_id,
                       avg(score) FILTER (WHERE kind = 'csat') AS csat,
                       avg(score) FILTER (WHERE kind = 'ces') AS ces
                FROM survey_responses
                WHERE kind IN ('csat', 'ces') AND answered_at < $end
                  AND answered_at >= $survey_from
                GROUP BY account_id
            ),
            cs AS (
                SELECT account_id,
                       count(*) FILTER (WHERE is_open) AS open_cases,
                       count(*) FILTER (WHERE is_open AND priority = 'urgent') AS urgent_cases,
                       count(*) FILTER (
                           WHERE deadline < $end AND deadline >= $breach_from
                             AND (closed_at IS NULL OR closed_at > deadline)
                             AND NOT (closed_at IS NULL AND status IN ('solved', 'closed'))
                       ) AS breached_slas
                FROM (
                    SELECT account_id, priority, status, closed_at,
                           opened_at + to_microseconds((sla_hours * 3600e6)::BIGINT) AS deadline,
                           CASE WHEN closed_at IS NOT NULL THEN closed_at >= $end
                                ELSE status IN ('open', 'pending') END AS is_open
                    FROM cases WHERE opened_at < $end
                )
                GROUP BY account_id
            ),
            clv AS (
                SELECT account_id, clv, p_alive, p_renew, expected_transactions, rfm_segment
                FROM clv_scores
                WHERE as_of = (SELECT max(as_of) FROM clv_scores WHERE as_of <= $as_of)
            )
            SELECT acc.account_id, {_snapshot_columns()},
                   nps.nps::DOUBLE AS nps, sat.csat::DOUBLE AS csat, sat.ces::DOUBLE AS ces,
                   {cases_null or "coalesce(cs.open_cases, 0)::DOUBLE"} AS open_cases,
                   {cases_null or "coalesce(cs.urgent_cases, 0)::DOUBLE"} AS urgent_cases,
                   {cases_null or "coalesce(cs.breached_slas, 0)::DOUBLE"} AS breached_slas,
                   (l.renewal_date - $as_of)::DOUBLE AS days_to_renewal,
                   l.status AS lifecycle_status,
                   acc.segment AS segment,
                   t.tier AS tier,
                   (m.mrr * 12)::DOUBLE AS arr,
                   acc.parent_account_id AS parent_account_id,
                   j.journey_stage, j.days_in_stage, j.interruptions_30d, j.open_interruptions,
                   clv.clv::DOUBLE AS clv, clv.p_alive::DOUBLE AS p_alive,
                   clv.p_renew::DOUBLE AS p_renew,
                   clv.expected_transactions::DOUBLE AS expected_transactions,
                   clv.rfm_segment AS rfm_segment
            FROM acc
            LEFT JOIN account_daily_metrics m ON m.account_id = acc.account_id AND m.date = $as_of
            LEFT JOIN nps ON nps.account_id = acc.account_id
            LEFT JOIN sat ON sat.account_id = acc.account_id
            LEFT JOIN cs ON cs.account_id = acc.account_id
            LEFT JOIN _oi_life l ON l.account_id = acc.account_id
            LEFT JOIN _oi_journey j ON j.account_id = acc.account_id
            LEFT JOIN clv ON clv.account_id = acc.account_id
            LEFT JOIN ({tiers_in_force(scope="")}) t ON t.account_id = acc.account_id
            ORDER BY acc.account_id
            """,
            params={
                "end": end,
                "as_of": as_of,
                "nps_from": end - timedelta(days=NPS_DAYS),
                "survey_from": end - timedelta(days=SURVEY_DAYS),
                "breach_from": end - timedelta(days=BREACH_DAYS),
                "day": as_of,
            },
        ).to_arrow_table()
    finally:
        cur.close()
    for extra in (outcome_fields.segment_fields(con, as_of), off_track_counts(con, as_of)):
        name = extra.column_names[1]
        index = pc.index_in(table.column("account_id"), value_set=extra.column("account_id"))
        table = table.append_column(name, pc.take(extra.column(name), index))
    return with_custom_fields(con, table.cast(schema()))


def scoring_day(con: duckdb.DuckDBPyConnection, day: date) -> date:
    """The day health can be scored for on ``day``: ``day``, or the snapshot's last day when
    the snapshot has not reached it yet.

    Usage fields come from the snapshot's row of the day; on a day it has no row for (a new
    day before the snapshot step ran, a demo company simulated last week) every account
    would read as missing and turn red at once. Scoring stays on the last computed day until
    the snapshot catches up.
    """
    last = read_state(con).get("snapshot_last_date")
    return min(day, date.fromisoformat(last)) if last else day


CUSTOM_PREFIX = "custom."


def with_custom_fields(con: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Table:
    """``table`` with a ``custom.<name>`` column for each custom field of accounts, typed as
    loaded (number, flag, day or text); null where an account has no value (missing).

    The store keeps only a custom field's current value, so every day reads today's: a
    backtest leaves these columns out (:data:`CUSTOM_PREFIX` marks them).
    """
    names = [f["name"] for f in custom_fields.fields(con, "accounts")]
    if not names:
        return table
    found = custom_fields.values(con, "accounts", names)
    index = pc.index_in(table.column("account_id"), value_set=found.column("account_id"))
    for name in names:
        column = found.column(name)
        table = table.append_column(CUSTOM_PREFIX + name, pc.take(column, index))
    return table


def _lifecycle(
    con: duckdb.DuckDBPyConnection, config: AnalyticsConfig, as_of: date, ids: pa.Table | None
) -> pa.Table:
    """``account_id, status, mrr, renewal_date`` on ``as_of`` from the one lifecycle definition."""
    sources = store_sources(con)
    if ids is not None:  # narrow every table first: the step asks for a few accounts
        keep = ibis.memtable(ids)
        sources = replace(
            sources,
            accounts=sources.accounts.semi_join(keep, "account_id"),
            subscriptions=sources.subscriptions.semi_join(keep, "account_id"),
            contracts=sources.contracts.semi_join(keep, "account_id"),
        )
    status = account_status(sources, config, as_of)
    return status.select("account_id", "status", "mrr", "renewal_date").to_pyarrow()
