"""Lifecycle status and the data-aware report day, on the hand-checked company."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from outsidein.analytics import store_sources
from outsidein.analytics.filters import check_filters, filter_choices
from outsidein.analytics.lifecycle import account_status
from outsidein.analytics.today import report_dates
from outsidein.errors import InvalidRequestError
from outsidein.store import connect
from outsidein.store.freshness import data_last_day
from tests.analytics.company import CONFIG


def test_statuses_by_hand(company_store: Path) -> None:
    con = connect(company_store, read_only=True)
    try:
        rows = account_status(store_sources(con), CONFIG, date(2024, 6, 15)).to_pyarrow()
    finally:
        con.close()
    status = dict(zip(rows["account_id"].to_pylist(), rows["status"].to_pylist(), strict=True))
    assert status == {
        "A1": "active",  # paying since 2023-11
        "A2": "active",
        "A3": "active",  # churned in February, reactivated in April: first paid in 2023
        "A4": "churned",  # ended 2024-05-13
        "A5": "active",
        "A6": "active",  # free plan first; first paid 2024-03-01, 106 days before
        "A7": "renewal",  # onboarding (first paid 40 days before), but C7 renews in 52 days
        "A8": "churned",  # in and out in February
        "A9": "renewal",  # renews 2024-08-01, in 47 days
        "A10": "renewal",  # S10a ends 2024-09-13, exactly 90 days after
    }
    early = dict(zip(rows["account_id"].to_pylist(), rows["renewal_date"].to_pylist(), strict=True))
    assert early["A10"] == date(2024, 9, 13) and early["A5"] == date(2025, 6, 1)
    assert early["A6"] is None  # month-to-month: renews every month, no renewal date shown


def test_prospect_and_trial(company_store: Path) -> None:
    con = connect(company_store, read_only=True)
    try:
        before = account_status(store_sources(con), CONFIG, date(2023, 9, 20)).to_pyarrow()
    finally:
        con.close()
    status = dict(zip(before["account_id"].to_pylist(), before["status"].to_pylist(), strict=True))
    assert status["A7"] == "prospect"  # nothing started yet
    assert status["A6"] == "trial"  # only the zero-MRR plan, never paid
    assert status["A5"] == "active"


def test_the_data_last_day_and_the_default_as_of(company_store: Path) -> None:
    con = connect(company_store, read_only=True)
    try:
        last = data_last_day(con)
    finally:
        con.close()
    assert last == date(2024, 6, 15)
    dates = report_dates(None, None, data_last_day=last, today=date(2026, 12, 1))
    assert (dates.as_of, dates.first, dates.follows_data) == (
        date(2024, 6, 15), date(2023, 7, 1), True)  # fmt: skip
    assert dates.notice is not None and "2024-06-15" in dates.notice
    fresh = report_dates(None, None, data_last_day=date(2026, 12, 1), today=date(2026, 12, 1))
    assert fresh.as_of == date(2026, 12, 1) and fresh.notice is None
    given = report_dates(None, date(2025, 1, 1), data_last_day=last, today=date(2026, 12, 1))
    assert given.as_of == date(2025, 1, 1) and given.notice is None


@pytest.mark.parametrize(
    ("first", "as_of", "words"),
    [
        (None, date(2026, 12, 2), "in the future"),
        (date(1, 1, 1), None, "before 1900-01-01"),
        (None, date(1899, 12, 31), "before 1900-01-01"),
        (date(2026, 11, 1), date(2026, 10, 1), "must not be after"),
    ],
)
def test_refused_dates(first: date | None, as_of: date | None, words: str) -> None:
    with pytest.raises(InvalidRequestError, match=words):
        report_dates(first, as_of, data_last_day=None, today=date(2026, 12, 1))


def test_filters_match_any_case_and_refuse_unknown_values(company_store: Path) -> None:
    con = connect(company_store, read_only=True)
    try:
        sources = store_sources(con)
        choices = filter_choices(sources)
        assert choices["segment"] == ["Enterprise", "SMB"]
        assert check_filters(choices, segment=" enterprise ") == {"segment": "Enterprise"}
        with pytest.raises(InvalidRequestError, match="the data has: Enterprise, SMB"):
            check_filters(choices, segment="Enterprize")
        narrowed = sources.restrict(segment="ENTERPRISE").accounts.to_pyarrow()
        assert sorted(narrowed["account_id"].to_pylist()) == ["A5", "A9"]
    finally:
        con.close()


def test_the_running_month_is_partial_and_never_annualised(company_store: Path) -> None:
    from outsidein.analytics import churn_rates, mrr_bridge

    con = connect(company_store, read_only=True)
    try:
        bridge = mrr_bridge(store_sources(con), CONFIG, date(2024, 1, 1), date(2024, 6, 15))
        rates = churn_rates(bridge).to_pyarrow().to_pylist()
    finally:
        con.close()
    assert [r["partial"] for r in rates] == [False] * 5 + [True]
    february = rates[1]
    assert february["logo_churn_rate"] > 0 and february["annual_logo_churn_rate"] is not None
    june = rates[-1]
    assert june["annual_logo_churn_rate"] is None
    assert june["annual_gross_revenue_churn_rate"] is None
    assert june["logo_churn_rate"] is not None  # the rate to date is still shown
