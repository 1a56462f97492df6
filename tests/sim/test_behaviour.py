"""Latent health drives what can be observed, in the direction a CS team would expect."""

from __future__ import annotations

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def test_churned_accounts_were_less_healthy(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        con.execute(
            "SELECT g.churned, avg(h.health) FROM gt_health h JOIN gt_accounts g USING (account_id)"
            " GROUP BY g.churned"
        ).fetchall()
    )
    assert rows[True] < rows[False] - 0.05


def test_nps_follows_health(con: duckdb.DuckDBPyConnection) -> None:
    corr = scalar(
        con,
        """
        SELECT corr(s.score, h.health) FROM survey_responses s JOIN gt_health h
          ON s.account_id = h.account_id AND date_trunc('month', s.answered_at) = h.month
        WHERE s.kind = 'nps'
        """,
    )
    assert corr > 0.4


def test_csat_follows_health(con: duckdb.DuckDBPyConnection) -> None:
    corr = scalar(
        con,
        """
        SELECT corr(s.score, h.health) FROM survey_responses s JOIN gt_health h
          ON s.account_id = h.account_id AND date_trunc('month', s.answered_at) = h.month
        WHERE s.kind = 'csat'
        """,
    )
    assert corr > 0.2


def test_usage_follows_health(con: duckdb.DuckDBPyConnection) -> None:
    corr = scalar(
        con,
        """
        WITH e AS (
            SELECT account_id, date_trunc('month', "timestamp") AS mon, count(*) AS n
            FROM events GROUP BY ALL)
        SELECT corr(ln(e.n), h.health) FROM e JOIN gt_health h
          ON e.account_id = h.account_id AND e.mon = h.month
        """,
    )
    assert corr > 0.2


def test_usage_has_a_working_week(con: duckdb.DuckDBPyConnection) -> None:
    weekend = scalar(
        con, 'SELECT avg(CASE WHEN dayofweek("timestamp") IN (0, 6) THEN 1 ELSE 0 END) FROM events'
    )
    assert weekend < 0.1


def test_low_health_breaks_service(con: duckdb.DuckDBPyConnection) -> None:
    breach = dict(
        con.execute(
            """
            SELECT h.health < 0.5, avg(CASE WHEN epoch(c.closed_at - c.opened_at) / 3600
                                         > c.sla_hours THEN 1.0 ELSE 0.0 END)
            FROM cases c JOIN gt_health h
              ON c.account_id = h.account_id AND date_trunc('month', c.opened_at) = h.month
            WHERE c.closed_at IS NOT NULL GROUP BY 1
            """
        ).fetchall()
    )
    assert breach[True] > breach[False] > 0
    failed = dict(
        con.execute(
            """
            SELECT h.health < 0.5, avg(CASE WHEN t.outcome = 'failed' THEN 1.0 ELSE 0.0 END)
            FROM touchpoints t JOIN gt_health h
              ON t.account_id = h.account_id AND date_trunc('month', t."at") = h.month
            GROUP BY 1
            """
        ).fetchall()
    )
    assert failed[True] > failed[False] > 0


def test_late_payment_follows_health(con: duckdb.DuckDBPyConnection) -> None:
    late = dict(
        con.execute(
            """
            SELECT h.health < 0.5, avg(epoch(i.paid_at - i.issued_at) / 86400)
            FROM invoices i JOIN gt_health h
              ON i.account_id = h.account_id AND date_trunc('month', i.issued_at) = h.month
            WHERE i.paid_at IS NOT NULL GROUP BY 1
            """
        ).fetchall()
    )
    assert late[True] > late[False]


def test_broken_hand_offs_are_planted(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT sum(broken_handoffs) FROM gt_accounts") > 0
    assert scalar(con, "SELECT count(*) FROM touchpoints WHERE handed_to IS NOT NULL") > 0


def test_some_customers_change_plans_and_come_back(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT count(*) FROM subscriptions WHERE status = 'ended'") > 0
    # Each comeback the ground truth plants shows in the subscriptions a user loads: a churned
    # contract ending before the return, and a new one starting on the day of the return.
    comebacks = con.execute(
        """
        SELECT g.account_id,
               bool_or(s.status = 'churned' AND s.end_date <= g.reactivated_at),
               bool_or(s.start_date = g.reactivated_at)
        FROM gt_accounts g JOIN subscriptions s USING (account_id)
        WHERE g.reactivated GROUP BY ALL
        """
    ).fetchall()
    assert comebacks, "no churned customer came back"
    assert all(left and returned for _, left, returned in comebacks), comebacks


def test_subsidiaries_belong_to_older_enterprise_accounts(con: duckdb.DuckDBPyConnection) -> None:
    pairs = con.execute(
        """
        SELECT a.account_id, p.segment, p.created_at < a.created_at
        FROM accounts a LEFT JOIN accounts p ON p.account_id = a.parent_account_id
        WHERE a.parent_account_id IS NOT NULL
        """
    ).fetchall()
    assert pairs, "no subsidiaries"
    assert all(segment == "enterprise" and older for _, segment, older in pairs), pairs
