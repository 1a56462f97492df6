"""The planted success plan shows in the data a user would load, not only in the report.

The simulator randomizes the plan among eligible (at-risk) accounts, so comparing treated
with eligible-but-untreated accounts in the written Parquet files estimates its effect the
way an analyst would. Each comparison is judged against its own noise (a Welch standard
error from the data): the effect must stand far outside it, and the same comparison before
the plan started must not (the two groups were alike). Nothing here depends on when exactly
churn happens: only on who is treated and what the files show afterwards.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import duckdb
import pytest

from outsidein.sim import simulate

AS_OF = date(2025, 7, 1)


def shift(month: date, months: int) -> date:
    year, index = divmod(month.month - 1 + months, 12)
    return date(month.year + year, index + 1, 1)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, date]:
    """A 2,000-account company (enough eligible accounts per arm) as views over its files."""
    out = tmp_path_factory.mktemp("plan") / "company"
    company = simulate(out, accounts=2000, months=24, seed=11, as_of=AS_OF)
    plan = json.loads(Path(company.ground_truth["interventions"]).read_text())["interventions"][0]
    con = duckdb.connect()
    for kind in ("events", "subscriptions"):
        path = company.paths[kind]
        source = f"{path}/*.parquet" if kind == "events" else str(path)
        con.execute(f"CREATE VIEW {kind} AS SELECT * FROM read_parquet('{source}')")
    con.execute("CREATE TABLE arm (account_id VARCHAR PRIMARY KEY, treated BOOLEAN)")
    con.executemany(
        "INSERT INTO arm VALUES (?, ?)",
        [(a, True) for a in plan["treated_accounts"]]
        + [(a, False) for a in plan["control_accounts"]],
    )
    return con, date.fromisoformat(plan["treatment_month"])


def difference(rows: list[tuple[bool, int, float, float]]) -> tuple[float, float]:
    """Treated minus control mean, and that difference in Welch standard errors."""
    arms = {treated: (n, mean, var) for treated, n, mean, var in rows}
    (n1, m1, v1), (n0, m0, v0) = arms[True], arms[False]
    assert n1 >= 100 and n0 >= 100, arms  # enough accounts for the comparison to mean much
    diff = m1 - m0
    return diff, diff / math.sqrt(v1 / n1 + v0 / n0)


def usage_change(
    con: duckdb.DuckDBPyConnection, before: tuple[date, date], after: tuple[date, date]
) -> tuple[float, float]:
    """Difference in differences of log monthly events per account (months with usage)."""
    rows = con.execute(
        """
        WITH monthly AS (
            SELECT account_id, date_trunc('month', "timestamp")::DATE AS month, count(*) AS n
            FROM events JOIN arm USING (account_id) GROUP BY ALL),
        per_account AS (
            SELECT account_id,
                   avg(ln(n)) FILTER (WHERE month >= $1 AND month < $2) AS before,
                   avg(ln(n)) FILTER (WHERE month >= $3 AND month < $4) AS after
            FROM monthly GROUP BY ALL)
        SELECT treated, count(*), avg(after - before), var_samp(after - before)
        FROM per_account JOIN arm USING (account_id)
        WHERE before IS NOT NULL AND after IS NOT NULL
        GROUP BY treated
        """,
        [*before, *after],
    ).fetchall()
    return difference(rows)


def test_treated_accounts_use_the_product_more_after_the_plan(
    experiment: tuple[duckdb.DuckDBPyConnection, date],
) -> None:
    con, month = experiment
    effect, z = usage_change(con, (shift(month, -3), month), (shift(month, 1), AS_OF))
    assert effect > 0.1 and z > 4, (effect, z)  # the plan raised usage, far beyond the noise
    placebo, z_before = usage_change(
        con, (shift(month, -6), shift(month, -3)), (shift(month, -3), month)
    )
    assert abs(z_before) < 3, (placebo, z_before)  # before the plan, the arms moved alike
    assert effect > placebo + 0.1


def test_treated_accounts_churn_less_after_the_plan(
    experiment: tuple[duckdb.DuckDBPyConnection, date],
) -> None:
    con, month = experiment
    rows = con.execute(
        """
        WITH churned AS (
            SELECT DISTINCT account_id FROM subscriptions
            WHERE status = 'churned' AND end_date >= $1)
        SELECT treated, count(*), avg(gone), var_samp(gone) FROM (
            SELECT arm.treated, (c.account_id IS NOT NULL)::INTEGER AS gone
            FROM arm LEFT JOIN churned c USING (account_id))
        GROUP BY treated
        """,
        [shift(month, 1)],
    ).fetchall()
    effect, z = difference(rows)
    assert effect < -0.05 and z < -2.5, (effect, z)  # fewer of the treated churned
