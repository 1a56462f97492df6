"""Health inputs on a simulated company at one past date, and the ground truth to judge by.

Glue for the tests of the default scorecard until ``outsidein.health.inputs`` (built on
another branch) replaces it: every input is read as it was on ``day`` (the snapshot row of
that date, surveys answered and cases opened by then, contracts in force). Definitions used
here: ``nps`` and ``csat`` are the means of the answers of the last 180 and 90 days;
``open_cases`` are open at the end of ``day``; ``urgent_cases`` and ``breached_slas`` count
cases opened in the 90 days to ``day`` (urgent priority; resolved, or still open, after their
SLA hours).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.analytics import AnalyticsConfig, build_snapshot, store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.config import OutsideInConfig
from outsidein.ingest import load_directory
from outsidein.sim import SimulationSummary, simulate
from outsidein.sim.settings import company_config
from outsidein.store import connect

AS_OF = date(2025, 7, 1)
DAY = AS_OF - timedelta(days=100)  # 90 days of churn still to come are known to the truth


@dataclass
class Truth:
    inputs: pa.Table  # paying customers on DAY
    latent: np.ndarray  # latent health in DAY's month, per row of inputs
    churned_90: np.ndarray  # churned within 90 days after DAY


def make_company(folder: Path, accounts: int = 1500, seed: int = 5) -> SimulationSummary:
    return simulate(
        folder / "company",
        accounts=accounts,
        months=15,
        seed=seed,
        as_of=AS_OF,
        events_per_user_day=0.05,
        events_per_part=1_000_000,
    )


def inputs_at(con: duckdb.DuckDBPyConnection, config: AnalyticsConfig, day: date) -> pa.Table:
    status = account_status(store_sources(con), config, day).to_pyarrow()
    con.register("status_at", status)
    try:
        return con.sql(
            """
            WITH nps AS (
              SELECT account_id, avg(score) AS nps FROM survey_responses
              WHERE kind = 'nps' AND answered_at < $day + 1 AND answered_at >= $day - 180
              GROUP BY ALL),
            csat AS (
              SELECT account_id, avg(score) AS csat FROM survey_responses
              WHERE kind = 'csat' AND answered_at < $day + 1 AND answered_at >= $day - 90
              GROUP BY ALL),
            ces AS (
              SELECT account_id, avg(score) AS ces FROM survey_responses
              WHERE kind = 'ces' AND answered_at < $day + 1 AND answered_at >= $day - 90
              GROUP BY ALL),
            cases_at AS (
              SELECT account_id,
                count(*) FILTER (WHERE closed_at IS NULL OR closed_at >= $day + 1) AS open_cases,
                count(*) FILTER (WHERE priority = 'urgent' AND opened_at >= $day - 89)
                  AS urgent_cases,
                count(*) FILTER (WHERE opened_at >= $day - 89 AND sla_hours IS NOT NULL AND
                  date_diff('minute', opened_at,
                    least(coalesce(closed_at, ($day + 1)::TIMESTAMP), ($day + 1)::TIMESTAMP))
                  > sla_hours * 60) AS breached_slas
              FROM cases WHERE opened_at < $day + 1 GROUP BY ALL)
            SELECT m.* EXCLUDE (date, computed_at, mrr), s.mrr::DOUBLE AS mrr,
              s.status AS lifecycle_status, a.segment,
              CASE WHEN s.arr >= 50000 THEN 'enterprise' WHEN s.arr >= 10000 THEN 'mid'
                   ELSE 'smb' END AS tier,
              a.parent_account_id,
              nps.nps, csat.csat, ces.ces,
              coalesce(c.open_cases, 0) AS open_cases,
              coalesce(c.urgent_cases, 0) AS urgent_cases,
              coalesce(c.breached_slas, 0) AS breached_slas,
              date_diff('day', $day, s.renewal_date) AS days_to_renewal
            FROM account_daily_metrics m
            JOIN status_at s USING (account_id)
            JOIN accounts a USING (account_id)
            LEFT JOIN nps USING (account_id)
            LEFT JOIN csat USING (account_id)
            LEFT JOIN ces USING (account_id)
            LEFT JOIN cases_at c USING (account_id)
            WHERE m.date = $day AND s.status IN ('onboarding', 'active', 'renewal')
            ORDER BY account_id
            """,
            params={"day": day},
        ).to_arrow_table()
    finally:
        con.unregister("status_at")


def truth_at(company: SimulationSummary, store: Path, day: date = DAY) -> Truth:
    config = OutsideInConfig.model_validate(tomllib.loads(company_config())).analytics
    con = connect(store)
    try:
        if con.execute("SELECT count(*) FROM accounts").fetchone() == (0,):
            load_directory(con, company.out)
            build_snapshot(con, config, day, since=day)
        inputs = inputs_at(con, config, day)
        gt = company.ground_truth
        truth = con.sql(
            f"""
            SELECT i.account_id, h.health,
              coalesce(g.churned AND g.churn_date > $day AND g.churn_date <= $day + 90, false)
                AS churned_90
            FROM (SELECT unnest($ids) AS account_id) i
            LEFT JOIN read_parquet('{gt["accounts"]}') g USING (account_id)
            LEFT JOIN read_parquet('{gt["health"]}') h
              ON h.account_id = i.account_id AND h.month = date_trunc('month', $day)::DATE
            ORDER BY i.account_id
            """,
            params={"day": day, "ids": inputs["account_id"].to_pylist()},
        ).to_arrow_table()
    finally:
        con.close()
    assert truth["account_id"].equals(inputs["account_id"])
    latent = pc.fill_null(truth["health"], np.nan).to_numpy()
    return Truth(inputs, latent, truth["churned_90"].to_numpy(zero_copy_only=False))
