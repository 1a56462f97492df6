"""MRR, ARR and the MRR bridge on the hand-checked company (tests/analytics/company.py).

Every expected number below was worked out by hand from the subscription table in
company.py; the comments show the arithmetic.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.analytics import (
    AnalyticsConfig,
    CurrencyError,
    Sources,
    account_movements,
    mrr_bridge,
    mrr_series,
    store_sources,
)
from outsidein.errors import InvalidRequestError
from outsidein.ingest import load_file
from tests.analytics.company import AS_OF, CONFIG, write_csv

D = Decimal
JAN = date(2024, 1, 1)


def rows(table: Any) -> list[dict[str, Any]]:
    return list(table.to_pyarrow().to_pylist())


def test_monthly_bridge_matches_hand_computation(sources: Sources) -> None:
    bridge = {r["period_start"]: r for r in rows(mrr_bridge(sources, CONFIG, JAN, AS_OF))}
    assert list(bridge) == [date(2024, m, 1) for m in range(1, 7)]

    # 2023-12-31: A1 100 + A2 200 + A3 55.17 + A5 1000 + A9 500 + A10 15 (A6 is on a free plan)
    jan = bridge[date(2024, 1, 1)]
    assert (jan["opening_mrr"], jan["new"], jan["closing_mrr"]) == (
        D("1870.17"),
        D("75.50"),
        D("1945.67"),
    )
    assert (jan["opening_customers"], jan["new_customers"], jan["closing_customers"]) == (6, 1, 7)

    # February: A1 upgrades 100 -> 300 then downgrades to 150 (net +50, one expansion); A3
    # churns (its EUR subscription ends 02-01); A8 starts and ends inside the month (no row).
    feb = bridge[date(2024, 2, 1)]
    assert feb["expansion"] == D("50.00") and feb["churned"] == D("55.17")
    assert feb["new"] == feb["contraction"] == feb["reactivated"] == D("0.00")
    assert feb["closing_mrr"] == D("1940.50")
    assert (feb["churned_customers"], feb["new_customers"]) == (1, 0)

    # March: A2 200 -> 500 -> 120 (contraction 80); A5 adds a 250 add-on mid-month
    # (overlap, expansion); A6 moves from the free plan to 40 (new: first paid day 03-01).
    mar = bridge[date(2024, 3, 1)]
    assert (mar["new"], mar["expansion"], mar["contraction"]) == (
        D("40.00"),
        D("250.00"),
        D("80.00"),
    )
    assert mar["closing_mrr"] == D("2150.50")

    # April: A3 comes back at 80 (reactivated); A5's add-on ends 04-20 (contraction 250).
    apr = bridge[date(2024, 4, 1)]
    assert (apr["reactivated"], apr["contraction"]) == (D("80.00"), D("250.00"))
    assert apr["reactivated_customers"] == 1 and apr["closing_mrr"] == D("1980.50")

    # May: A7 starts (its events in Dec/Jan do not make it a customer earlier); A4's
    # mid-month subscription (01-17 .. 05-13) churns.
    may = bridge[date(2024, 5, 1)]
    assert (may["new"], may["churned"], may["closing_mrr"]) == (
        D("300.00"),
        D("75.50"),
        D("2205.00"),
    )

    # June is still running: measured at the as-of day, nothing moved.
    jun = bridge[date(2024, 6, 1)]
    assert jun["closing_date"] == AS_OF and jun["opening_mrr"] == jun["closing_mrr"]


def test_bridge_reconciles_to_the_cent_and_chains(sources: Sources) -> None:
    for grain, first in (("month", JAN), ("week", date(2024, 1, 1)), ("day", date(2024, 2, 1))):
        periods = rows(mrr_bridge(sources, CONFIG, first, AS_OF, grain))
        for row in periods:
            moved = (
                row["opening_mrr"]
                + row["new"]
                + row["expansion"]
                - row["contraction"]
                - row["churned"]
                + row["reactivated"]
            )
            assert moved == row["closing_mrr"], (grain, row)
            logos = (
                row["opening_customers"]
                + row["new_customers"]
                + row["reactivated_customers"]
                - row["churned_customers"]
            )
            assert logos == row["closing_customers"], (grain, row)
        for before, after in itertools.pairwise(periods):
            assert before["closing_mrr"] == after["opening_mrr"], grain


def test_weekly_bridge_and_daily_series(sources: Sources) -> None:
    # Week Mon 02-05 .. Sun 02-11: opening (02-04) 1890.50 = A1 100 + A2 200 + A4 75.50 +
    # A5 1000 + A9 500 + A10 15; A1 moves to 300 on 02-10 and A8 starts on 02-05.
    week = rows(mrr_bridge(sources, CONFIG, date(2024, 2, 5), date(2024, 2, 11), "week"))
    assert len(week) == 1
    assert (week[0]["opening_mrr"], week[0]["new"], week[0]["expansion"]) == (
        D("1890.50"),
        D("60.00"),
        D("200.00"),
    )
    assert week[0]["closing_mrr"] == D("2150.50")

    daily = {
        r["closing_date"]: r
        for r in rows(mrr_series(sources, CONFIG, date(2024, 2, 9), date(2024, 2, 25), "day"))
    }
    assert daily[date(2024, 2, 9)]["mrr"] == D("1950.50")  # A1 100 + A8 60 + 1790.50
    assert daily[date(2024, 2, 15)]["mrr"] == D("2150.50")  # A1 on the 300 plan
    assert daily[date(2024, 2, 20)]["mrr"] == D("2000.50")  # A1 down to 150 on 02-20
    assert daily[date(2024, 2, 25)]["mrr"] == D("1940.50")  # A8 ended 02-25
    assert daily[date(2024, 2, 25)]["arr"] == D("23286.00")


def test_monthly_series_arr_and_customers(sources: Sources) -> None:
    series = rows(mrr_series(sources, CONFIG, JAN, AS_OF, "month"))
    assert [r["mrr"] for r in series] == [
        D("1945.67"),
        D("1940.50"),
        D("2150.50"),
        D("1980.50"),
        D("2205.00"),
        D("2205.00"),
    ]
    assert [r["customers"] for r in series] == [7, 6, 7, 8, 8, 8]
    assert series[-1]["arr"] == D("26460.00")


def test_segment_filter(sources: Sources) -> None:
    enterprise = rows(mrr_bridge(sources.restrict(segment="Enterprise"), CONFIG, JAN, AS_OF))
    assert [r["opening_mrr"] for r in enterprise[:2]] == [D("1500.00"), D("1500.00")]
    assert enterprise[2]["expansion"] == D("250.00") and enterprise[3]["contraction"] == D("250.00")
    assert sum(r["new"] for r in enterprise) == 0


def test_movements_per_account(sources: Sources) -> None:
    moves = {
        (r["account_id"], r["period_start"].month): r["movement"]
        for r in rows(account_movements(sources, CONFIG, JAN, AS_OF))
    }
    assert moves[("A1", 2)] == "expansion"
    assert moves[("A2", 3)] == "contraction"
    assert moves[("A3", 2)] == "churned" and moves[("A3", 4)] == "reactivated"
    assert moves[("A6", 3)] == "new" and ("A6", 2) not in moves  # free plan: not a customer
    assert moves[("A7", 5)] == "new" and ("A7", 1) not in moves
    assert not any(account == "A8" for account, _ in moves)  # in and out inside February
    assert moves[("A9", 6)] == "unchanged"


def test_currency_conversion_rounds_half_up_per_subscription(sources: Sources) -> None:
    # S3a: 50.15 EUR x 1.10 = 55.165 -> 55.17 (banker's rounding would give 55.16)
    jan = rows(account_movements(sources, CONFIG, JAN, date(2024, 1, 31)))
    assert {r["account_id"]: r["closing_mrr"] for r in jan}["A3"] == D("55.17")
    euro = AnalyticsConfig(
        reporting_currency="EUR", currency_rates={"USD": D("0.5"), "GBP": D("1")}
    )
    feb = {
        r["account_id"]: r["closing_mrr"]
        for r in rows(account_movements(sources, euro, JAN, date(2024, 1, 31)))
    }
    assert feb["A3"] == D("50.15") and feb["A9"] == D("400.00") and feb["A4"] == D("37.75")


def test_missing_rate_names_currency_and_fix(sources: Sources) -> None:
    config = AnalyticsConfig(currency_rates={"EUR": D("1.1")})
    with pytest.raises(
        CurrencyError,
        match=r"no conversion rate for GBP \(1 subscription\); "
        r"add it to outsidein.toml",
    ):
        mrr_series(sources, config, JAN, AS_OF)


def test_bad_grain_and_range(sources: Sources) -> None:
    with pytest.raises(InvalidRequestError, match="grain must be one of day, week, month"):
        mrr_series(sources, CONFIG, JAN, AS_OF, "year")
    with pytest.raises(InvalidRequestError, match=r"ends \(2023-01-01\) before it starts"):
        mrr_bridge(sources, CONFIG, JAN, date(2023, 1, 1))


def test_currency_codes_are_matched_case_insensitively(
    writable: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "subs.csv",
        ["subscription_id", "account_id", "plan", "mrr", "currency", "start_date", "status"],
        [("S99", "A8", "Starter", "10.00", "gbp", "2024-06-01", "active")],
    )
    load_file(writable, "subscriptions", path)
    june = rows(mrr_series(store_sources(writable), CONFIG, AS_OF, AS_OF, "day"))
    assert june[0]["mrr"] == D("2205.00") + D("12.50")
