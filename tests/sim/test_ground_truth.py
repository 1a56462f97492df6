"""The ground truth reconciles with the data it claims to explain."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import duckdb

from outsidein.sim import SimulationSummary
from outsidein.sim.world import DRIVERS

from .conftest import ACCOUNTS, AS_OF, MONTHS, SEED


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months; a day missing from the target month is its last day."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError(d)


def is_renewal(term_start: date, term_months: int, day: date) -> bool:
    """Whether ``day`` is ``term_start + k * term_months`` months for some k >= 1."""
    return any(add_months(term_start, k * term_months) == day for k in range(1, 200))


def test_churn_happens_only_at_renewal_dates(con: duckdb.DuckDBPyConnection) -> None:
    """Reconciled from the written files: every churned subscription ends on a renewal date
    of its contract (term contracts at a term's end, month-to-month at a monthly anniversary),
    mid-term changes stay on their contract, and a win-back signs a new one."""
    contracts = {
        c: (account, start, months)
        for c, account, start, months in con.execute(
            "SELECT contract_id, account_id, term_start, term_months FROM contracts"
        ).fetchall()
    }
    rows = con.execute(
        "SELECT account_id, start_date, end_date, status, contract_id FROM subscriptions "
        "ORDER BY account_id, start_date"
    ).fetchall()
    by_account: dict[str, list[tuple[date, date | None, str, str | None]]] = defaultdict(list)
    for account, start, end, status, contract in rows:
        by_account[account].append((start, end, status, contract))
    churns = {"term": 0, "month_to_month": 0}
    for account, subs in by_account.items():
        for i, (start, end, status, contract) in enumerate(subs):
            if status == "trialing":  # not under contract yet: its own evergreen one
                assert contract is None and i == len(subs) - 1, account
                continue
            owner, term_start, months = contracts[contract]
            assert owner == account and term_start <= start, account
            if i == 0 or subs[i - 1][2] == "churned":
                assert term_start == start, account  # a contract starts with its first row
            if i and subs[i - 1][2] == "churned":
                assert contract != subs[i - 1][3], account  # a win-back: a new contract
                assert start > subs[i - 1][1], account
            if status == "ended":  # a mid-term change: same contract, next row the same day
                assert subs[i + 1][0] == end and subs[i + 1][3] == contract, account
            if status == "churned":
                churns["month_to_month" if months == 1 else "term"] += 1
                assert end is not None and is_renewal(term_start, months, end), account
            if status == "active":
                assert end is None and i == len(subs) - 1, account
    assert churns["term"] > 0 and churns["month_to_month"] > 0, churns


def test_ground_truth_churn_matches_subscriptions(con: duckdb.DuckDBPyConnection) -> None:
    last = {
        a: (end, status)
        for a, end, status in con.execute(
            "SELECT account_id, arg_max(end_date, start_date), arg_max(status, start_date) "
            "FROM subscriptions GROUP BY account_id"
        ).fetchall()
    }
    truth = con.execute(
        "SELECT account_id, churned, churn_date, churn_drivers FROM gt_accounts"
    ).fetchall()
    assert len(truth) == ACCOUNTS == len(last)
    churned = 0
    for account, is_churned, churn_date, drivers in truth:
        end, status = last[account]
        if is_churned:
            churned += 1
            assert status == "churned" and churn_date == end, account
            assert drivers and set(drivers.split(",")) <= {*DRIVERS, "other"}
        else:
            assert status in ("active", "trialing") and churn_date is None and drivers is None
    assert 0 < churned < ACCOUNTS / 2


def test_health_path_covers_every_account_month(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        SELECT a.account_id, count(*), min(h.month), max(h.month), count(DISTINCT h.month),
               min(h.health), max(h.health),
               CAST(date_trunc('month', a.created_at) AS DATE) AS created_month
        FROM accounts a JOIN gt_health h USING (account_id)
        GROUP BY a.account_id, a.created_at
        """
    ).fetchall()
    assert len(rows) == ACCOUNTS
    window_start = date(AS_OF.year - 1, AS_OF.month, 1)
    for account, n, first, last, distinct, lo, hi, created_month in rows:
        assert n == distinct, account
        assert last == date(AS_OF.year, AS_OF.month - 1, 1), account
        assert first == max(created_month, window_start), account
        months_covered = (last.year - first.year) * 12 + last.month - first.month + 1
        assert n == months_covered <= MONTHS, account
        assert 0.0 <= lo <= hi <= 1.0


def test_treated_accounts_got_the_success_plan(
    con: duckdb.DuckDBPyConnection, company: SimulationSummary
) -> None:
    plan = json.loads(company.ground_truth["interventions"].read_text())["interventions"][0]
    treated = set(plan["treated_accounts"])
    eligible = set(plan["eligible_accounts"])
    control = set(plan["control_accounts"])
    assert treated and control and treated | control == eligible and not treated & control
    gt = dict(
        con.execute("SELECT account_id, treatment_date FROM gt_accounts WHERE treated").fetchall()
    )
    assert set(gt) == treated
    touched = dict(
        con.execute(
            'SELECT account_id, min(CAST("at" AS DATE)) FROM touchpoints '
            "WHERE channel = 'success_plan' AND function = 'success' GROUP BY account_id"
        ).fetchall()
    )
    assert touched == gt
    effect = plan["true_effect"]
    assert effect["health_logit_delta"] > 0
    assert effect["mean_health_delta_treated"] > 0
    assert effect["churn_probability_delta_first_renewal"] < 0
    assert effect["churn_probability_delta_first_renewal_month_to_month"] < 0
    assert effect["churn_probability_delta_first_renewal_term"] <= 0
    assert "renewal dates" in effect["on_churn"]


def test_needs_segments_and_outcome_answers(
    con: duckdb.DuckDBPyConnection, company: SimulationSummary
) -> None:
    segments = con.execute("SELECT DISTINCT needs_segment FROM gt_accounts").fetchall()
    assert 3 <= len(segments) <= 5
    described = json.loads(company.ground_truth["needs_segments"].read_text())["segments"]
    assert len(described) == len(segments)
    assert sum(s["underserved"] for s in described) == 1
    row = con.execute(
        "SELECT count(*), count(DISTINCT outcome_id), count(DISTINCT account_id) "
        "FROM survey_responses WHERE kind = 'outcome'"
    ).fetchone()
    assert row is not None and row[0] > 0 and row[1] == company.counts["outcomes"]
    orphans = con.execute(
        "SELECT count(*) FROM survey_responses WHERE kind = 'outcome' AND "
        "(outcome_id NOT IN (SELECT outcome_id FROM outcomes) OR importance IS NULL "
        "OR satisfaction IS NULL)"
    ).fetchone()
    assert orphans == (0,)
    # the segments answer differently: importance of a key outcome differs across segments
    spread = con.execute(
        """
        SELECT max(avg_imp) - min(avg_imp) FROM (
            SELECT g.needs_segment, s.outcome_id, avg(s.importance) AS avg_imp
            FROM survey_responses s JOIN gt_accounts g USING (account_id)
            WHERE s.kind = 'outcome' GROUP BY ALL)
        """
    ).fetchone()
    assert spread is not None and spread[0] > 1.5


def test_manifest(company: SimulationSummary) -> None:
    manifest = json.loads(company.ground_truth["manifest"].read_text())
    assert manifest["seed"] == SEED
    assert manifest["accounts"] == ACCOUNTS
    assert manifest["months"] == MONTHS
    assert manifest["as_of"] == AS_OF.isoformat()
    assert manifest["counts"] == company.counts
    assert manifest["format_version"] >= 1
