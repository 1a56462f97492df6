"""Contracts on a simulated company: monthly customers' cohorts decay from their first
months, and the renewals calendar as of the last day matches an independent reckoning from
the simulator's files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest

from outsidein.analytics import (
    AnalyticsConfig,
    arr_at_stake,
    cohort_retention,
    renewals,
    store_sources,
)
from outsidein.ingest import load_directory
from outsidein.sim import SimulationSummary, simulate
from outsidein.store import connect
from tests.analytics.test_contracts import reference_renewal

AS_OF = date(2025, 7, 1)
LAST = AS_OF - timedelta(days=1)
RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
CONFIG = AnalyticsConfig(currency_rates=RATES)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    out = tmp_path_factory.mktemp("sim") / "company"
    return simulate(
        out,
        accounts=1500,
        months=12,
        seed=3,
        as_of=AS_OF,
        events_per_user_day=0.01,
        events_per_part=200_000,
    )


@pytest.fixture(scope="module")
def sim_store(simulated: SimulationSummary) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(simulated.out.parent / "outsidein.duckdb")
    results = load_directory(con, simulated.out)
    assert sum(r.rows_rejected for r in results) == 0
    assert {r.kind for r in results} >= {"contracts", "subscriptions"}
    yield con
    con.close()


def test_monthly_customers_cohorts_decay_in_their_first_months(
    sim_store: duckdb.DuckDBPyConnection,
) -> None:
    """Small customers are mostly month-to-month and may leave in any month, so the newest
    cohorts (younger than a year: no annual renewal yet) are not all 100 % retained."""
    smb = store_sources(sim_store).restrict(segment="smb")
    cells = cohort_retention(smb, CONFIG, date(2024, 7, 1), LAST).to_pyarrow().to_pylist()
    latest: dict[date, dict[str, object]] = {}
    for cell in cells:
        latest[cell["cohort_month"]] = cell
    young = [c for c in latest.values() if 1 <= c["age"] <= 6]  # type: ignore[operator]
    assert len(young) == 6
    decayed = [c for c in young if c["logo_retention"] < 1]  # type: ignore[operator]
    assert len(decayed) >= 4, young
    first_months = [c for c in cells if c["age"] == 3]
    lost = sum(c["accounts"] - c["retained_accounts"] for c in first_months)
    assert lost >= 5, first_months


def test_renewals_on_the_last_day_match_the_files(
    simulated: SimulationSummary, sim_store: duckdb.DuckDBPyConnection
) -> None:
    sources = store_sources(sim_store)
    listed = renewals(sources, CONFIG, LAST, 90).to_pyarrow().to_pylist()
    assert len(listed) >= 20
    assert {r["billing_period"] for r in listed} >= {"monthly", "quarterly", "annual"}

    contracts = {
        c["contract_id"]: c for c in pq.read_table(simulated.paths["contracts"]).to_pylist()
    }
    subs = pq.read_table(simulated.paths["subscriptions"]).to_pylist()
    rates = {"USD": Decimal(1), **RATES}
    expected: dict[str, tuple[date, Decimal]] = {}
    for s in subs:
        active = s["start_date"] <= LAST and (s["end_date"] is None or s["end_date"] > LAST)
        contract = contracts.get(s["contract_id"])
        if not active or contract is None or contract["term_months"] == 1:
            continue
        due = reference_renewal(contract["term_start"], contract["term_months"], LAST)
        if due > LAST + timedelta(days=90):
            continue
        mrr = (s["mrr"] * rates[s["currency"]]).quantize(Decimal("0.01"), "ROUND_HALF_UP")
        _, arr = expected.get(s["contract_id"], (due, Decimal(0)))
        expected[s["contract_id"]] = (due, arr + mrr * 12)
    assert {r["contract_id"]: (r["renewal_date"], r["arr"]) for r in listed} == expected
    total = arr_at_stake(sources, CONFIG, LAST, 90).to_pyarrow().to_pylist()
    assert total == [{"contracts": len(expected), "arr": sum(a for _, a in expected.values())}]
