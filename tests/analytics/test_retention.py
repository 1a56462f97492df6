"""NRR/GRR, churn rates and cohorts on the hand-checked company (renewals: test_contracts.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from outsidein.analytics import (
    Sources,
    churn_rates,
    cohort_retention,
    mrr_bridge,
    revenue_retention,
)
from tests.analytics.company import AS_OF, CONFIG

D = Decimal


def rows(table: Any) -> list[dict[str, Any]]:
    return list(table.to_pyarrow().to_pylist())


def test_trailing_twelve_month_nrr_and_grr(sources: Sources) -> None:
    by_month = {
        r["month"]: r
        for r in rows(revenue_retention(sources, CONFIG, date(2024, 6, 1), date(2024, 12, 31)))
    }
    # Base 2023-12-31: A1 100, A2 200, A3 55.17, A5 1000, A9 500, A10 15 = 1870.17.
    # 2024-12-31, same accounts: A1 150, A2 120, A3 80, A5 1000, A9 0, A10 0 = 1350.00;
    # capped at each account's base: 100 + 120 + 55.17 + 1000 = 1275.17.
    dec = by_month[date(2024, 12, 1)]
    assert dec["base_date"] == date(2023, 12, 31)
    assert (dec["base_mrr"], dec["net_mrr"], dec["gross_mrr"]) == (
        D("1870.17"),
        D("1350.00"),
        D("1275.17"),
    )
    assert (dec["base_accounts"], dec["retained_accounts"]) == (6, 4)
    assert dec["nrr"] == pytest.approx(1350.00 / 1870.17, rel=1e-12)
    assert dec["grr"] == pytest.approx(1275.17 / 1870.17, rel=1e-12)
    # New customers never enter: A4, A6, A7 started in 2024 and are not in the base.
    jun = by_month[date(2024, 6, 1)]
    assert (jun["base_mrr"], jun["nrr"], jun["grr"]) == (D("1500.00"), 1.0, 1.0)  # A5 + A9
    # A partial month is measured at the as-of day against the same day a year earlier.
    partial = rows(revenue_retention(sources, CONFIG, AS_OF, AS_OF))[0]
    assert (partial["closing_date"], partial["base_date"]) == (AS_OF, date(2023, 6, 15))


def test_churn_rates_and_annual_scaling(sources: Sources) -> None:
    bridge = mrr_bridge(sources, CONFIG, date(2024, 1, 1), AS_OF)
    feb = {r["period_start"]: r for r in rows(churn_rates(bridge))}[date(2024, 2, 1)]
    # 7 customers on 01-31, A3 churned: 1/7. Revenue: 55.17 churned, 50 expansion.
    assert feb["logo_churn_rate"] == pytest.approx(1 / 7, rel=1e-12)
    assert feb["annual_logo_churn_rate"] == pytest.approx(1 - (6 / 7) ** 12, rel=1e-12)
    assert feb["gross_revenue_churn_rate"] == pytest.approx(55.17 / 1945.67, rel=1e-12)
    assert feb["net_revenue_churn_rate"] == pytest.approx((55.17 - 50) / 1945.67, rel=1e-12)
    assert feb["annual_gross_revenue_churn_rate"] == pytest.approx(
        1 - (1 - 55.17 / 1945.67) ** 12, rel=1e-12
    )
    # Negative net churn (expansion beats losses) scales the same way and stays negative.
    mar = {r["period_start"]: r for r in rows(churn_rates(bridge))}[date(2024, 3, 1)]
    assert mar["net_revenue_churn_rate"] == pytest.approx((80 - 250) / 1940.50, rel=1e-12)
    assert mar["annual_net_revenue_churn_rate"] < mar["net_revenue_churn_rate"] < 0


def test_cohort_matrix(sources: Sources) -> None:
    cells = {
        (r["cohort_month"], r["age"]): r
        for r in rows(cohort_retention(sources, CONFIG, date(2023, 10, 1), AS_OF))
    }
    # Cohorts in range: 2023-10 (A3), 2023-11 (A1), 2023-12 (A2), 2024-01 (A4), 2024-02 (A8),
    # 2024-03 (A6, first *paid* month), 2024-05 (A7); ages up to 2024-06.
    assert len(cells) == 9 + 8 + 7 + 6 + 5 + 4 + 2
    oct_ = date(2023, 10, 1)
    assert (cells[oct_, 0]["start_mrr"], cells[oct_, 0]["nrr"]) == (D("55.17"), 1.0)
    assert (cells[oct_, 4]["retained_accounts"], cells[oct_, 4]["nrr"]) == (0, 0.0)  # churned
    back = cells[oct_, 6]  # April 2024: reactivated at 80
    assert (back["net_mrr"], back["gross_mrr"], back["grr"]) == (D("80.00"), D("55.17"), 1.0)
    assert back["nrr"] == pytest.approx(80 / 55.17, rel=1e-12)
    assert cells[date(2023, 11, 1), 3]["nrr"] == 1.5  # A1 100 -> 150 by end of February
    dec = cells[date(2023, 12, 1), 3]  # A2 200 -> 120 by end of March
    assert (dec["nrr"], dec["grr"]) == (0.6, 0.6)
    blink = cells[date(2024, 2, 1), 0]  # A8: in and out within February
    assert (blink["accounts"], blink["retained_accounts"], blink["logo_retention"]) == (1, 0, 0.0)
    assert blink["start_mrr"] == D("0.00") and blink["nrr"] is None
    assert cells[date(2024, 1, 1), 4]["logo_retention"] == 0.0  # A4 ended 05-13
    assert (date(2024, 4, 1), 0) not in cells
