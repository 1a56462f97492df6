"""A synthetic company for the health benches: N accounts, subscriptions, surveys, cases, and
daily snapshot rows written directly for the days asked (no events needed).

Each account has a latent health ``h`` in [0, 1): usage and NPS rise with it, and an account
with low ``h`` is likelier to churn (its subscription ends) or contract (an add-on ends).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.health.history import Scored

# h and three independent uniforms per account, from its number i (deterministic).
H = "(hash(i, 'h') % 1000) / 1000.0"
U1 = "(hash(i, 'u1') % 1000) / 1000.0"
U2 = "(hash(i, 'u2') % 1000) / 1000.0"


def seed_company(con: duckdb.DuckDBPyConnection, n: int, first: date, last: date) -> None:
    """Accounts, a base and an add-on subscription each, NPS answers and open cases.

    Between ``first`` and ``last`` about a third of the low-health accounts churn and as
    many contract; the day is spread over the range."""
    span = (last - first).days
    con.execute(
        "INSERT INTO accounts (account_id, name, segment, created_at, source, loaded_at) "
        "SELECT 'A' || i, 'Account ' || i, ['SMB', 'Mid-Market', 'Enterprise'][1 + i % 3], "
        "TIMESTAMP '2020-01-01', 'bench', now() FROM range(?) t(i)",
        [n],
    )
    leave = f"{U1} < 0.45 * (1 - {H})"
    when = f"(DATE '{first}' + CAST({U2} * {span} AS INTEGER))"
    for sub, churn_kind in (("B", "i % 2 = 0"), ("X", "TRUE")):
        end = f"CASE WHEN {leave} AND {churn_kind} THEN {when} END"
        con.execute(
            "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, seats, "
            "start_date, end_date, status, source, loaded_at) "
            f"SELECT '{sub}' || i, 'A' || i, '{sub}', 100, 'USD', 10, DATE '2021-01-01', {end}, "
            "'active', 'bench', now() FROM range(?) t(i)",
            [n],
        )
    con.execute(
        "INSERT INTO survey_responses (response_id, account_id, survey, answered_at, kind, score,"
        " source, loaded_at) SELECT 'R' || i || '-' || k, 'A' || i, 'NPS', "
        f"DATE '{first}' - INTERVAL 30 DAY + k * INTERVAL 60 DAY, 'nps', "
        f"least(10, greatest(0, round(10 * {H} + 3 * (hash(i, k) % 1000 / 1000.0) - 1.5))), "
        "'bench', now() FROM range(?) t(i), range(8) s(k) WHERE hash(i, k, 'r') % 3 = 0",
        [n],
    )
    con.execute(
        "INSERT INTO cases (case_id, account_id, opened_at, priority, sla_hours, status, source, "
        "loaded_at) SELECT 'K' || i, 'A' || (i % ?), "
        f"DATE '{first}' + CAST((hash(i, 'c') % {span}) AS INTEGER), "
        "['low', 'normal', 'high', 'urgent'][1 + i % 4], 24, 'open', 'bench', now() "
        "FROM range(?) t(i)",
        [n, n // 2],
    )


def write_snapshot(con: duckdb.DuckDBPyConnection, n: int, days: Iterable[date]) -> None:
    """Snapshot rows for ``days``: MRR from the subscriptions (the definition), usage from h."""
    for day in sorted(set(days)):
        users = f"greatest(0, round(12 * {H} + 4 * (hash(i, DATE '{day}') % 1000 / 1000.0) - 2))"
        con.execute(
            f"""
            INSERT INTO account_daily_metrics BY NAME
            SELECT 'A' || i AS account_id, DATE '{day}' AS date,
                   coalesce((SELECT sum(mrr) FROM subscriptions s WHERE s.account_id = 'A' || i
                             AND s.start_date <= DATE '{day}'
                             AND (s.end_date IS NULL OR s.end_date > DATE '{day}')), 0) AS mrr,
                   20 AS seats_bought, {users} AS seats_used, {users} / 20 AS seat_utilization,
                   {users} AS active_users_7, 5 * {users} AS events_7, 0 AS key_features_used_7,
                   0 AS events_prev_7, {users} AS active_users_28, 20 * {users} AS events_28,
                   0 AS key_features_used_28, 20 AS events_prev_28,
                   20 * {users} / 20.0 - 1 AS events_trend_28, {users} AS active_users_90,
                   60 * {users} AS events_90, 0 AS key_features_used_90, 0 AS events_prev_90,
                   CAST(3 * (12 - {users}) AS BIGINT) AS days_since_last_activity,
                   now()::TIMESTAMP AS computed_at
            FROM range(?) t(i)
            """,
            [n],
        )


def vector_score(inputs: pa.Table) -> Scored:
    """A stand-in for the engine, vectorised: 3 measures, weighted, banded."""
    users = pc.fill_null(inputs.column("active_users_28"), 0.0)
    nps = inputs.column("nps")
    cases = pc.fill_null(inputs.column("open_cases"), 0.0)
    usage = pc.min_element_wise(pc.multiply(users, 10.0), 100.0)
    voice = pc.fill_null(pc.multiply(nps, 10.0), 50.0)
    support = pc.max_element_wise(pc.subtract(100.0, pc.multiply(cases, 25.0)), 0.0)
    score = pc.add(pc.add(pc.multiply(usage, 0.5), pc.multiply(voice, 0.3)),
                   pc.multiply(support, 0.2))  # fmt: skip
    band = pc.if_else(
        pc.less(score, 40.0), "red", pc.if_else(pc.less(score, 70.0), "amber", "green")
    )
    ids = inputs.column("account_id")
    k = len(ids)
    scores = pa.table({"account_id": ids, "scorecard": pa.array(["bench"] * k), "score": score,
                       "band": band})  # fmt: skip
    parts = []
    for name, raw, points, weight in (("active_users_28", users, usage, 0.5),
                                      ("nps", nps, voice, 0.3),
                                      ("open_cases", cases, support, 0.2)):  # fmt: skip
        parts.append(
            pa.table(
                {
                    "account_id": ids,
                    "measure": pa.array([name] * k),
                    "raw": pc.cast(raw, pa.float64()),
                    "points": points,
                    "weight": pa.array([weight] * k, pa.float64()),
                    "contribution": pc.multiply(points, weight),
                    "missing": pc.is_null(raw),
                }
            )
        )
    return Scored(scores, pa.concat_tables(parts))
