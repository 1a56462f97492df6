"""The simulated contracts: a realistic mix by segment, and invoices on each contract's
billing dates."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import duckdb

from .test_ground_truth import add_months

BILLING_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def test_contract_mix_by_segment(con: duckdb.DuckDBPyConnection) -> None:
    mix: dict[str, Counter[int]] = {}
    for segment, months, n in con.execute(
        "SELECT a.segment, c.term_months, count(*) FROM contracts c JOIN accounts a "
        "USING (account_id) GROUP BY ALL"
    ).fetchall():
        mix.setdefault(segment, Counter())[months] += n
    share = {s: counts[1] / sum(counts.values()) for s, counts in mix.items()}
    assert share["smb"] > 0.6  # small customers: mostly month-to-month
    assert share["mid_market"] < 0.3 and mix["mid_market"][12] > sum(mix["mid_market"].values()) / 2
    assert share.get("enterprise", 0) == 0 and set(mix["enterprise"]) <= {12, 24, 36}
    periods = {
        p for (p,) in con.execute("SELECT DISTINCT billing_period FROM contracts").fetchall()
    }
    assert {"monthly", "quarterly", "annual"} <= periods
    # Trials are not under contract yet; every paying subscription is.
    assert con.execute(
        "SELECT count(*) FROM subscriptions WHERE (contract_id IS NULL) <> (status = 'trialing')"
    ).fetchone() == (0,)
    # A win-back signs a new contract.
    reactivated = con.execute(
        "SELECT count(*) FROM gt_accounts g WHERE reactivated AND "
        "(SELECT count(*) FROM contracts c WHERE c.account_id = g.account_id) = 2"
    ).fetchone()
    total = con.execute("SELECT count(*) FROM gt_accounts WHERE reactivated").fetchone()
    assert reactivated == total


def test_invoices_follow_the_contract_billing_period(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """
        SELECT c.term_start, c.term_months, c.billing_period, s.start_date, s.mrr,
               s.status, CAST(i.issued_at AS DATE), i.amount
        FROM invoices i JOIN subscriptions s USING (subscription_id)
        JOIN contracts c USING (contract_id)
        """
    ).fetchall()
    seen: Counter[str] = Counter()
    for term_start, months, period, start, mrr, status, issued, amount in rows:
        every = BILLING_MONTHS.get(period, months)
        on_date = any(add_months(term_start, j * every) == issued for j in range(0, 400))
        # billed on the contract's billing dates, or prorated on the day a new row starts
        assert on_date or issued == start, (term_start, period, issued, start)
        if on_date and status == "active" and issued >= start:
            assert amount == (mrr * every).quantize(Decimal("0.01")), (period, mrr, amount)
        seen[period] += 1
    assert seen["quarterly"] > 0 and seen["annual"] > 0 and seen["monthly"] > seen["annual"]


def test_add_months_reference() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 13) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
