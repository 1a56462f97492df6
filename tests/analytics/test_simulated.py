"""The simulator's ground truth reconciles with the bridge, on a simulated company."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pyarrow.parquet as pq
import pytest

from outsidein.analytics import AnalyticsConfig, account_movements, mrr_bridge, store_sources
from outsidein.ingest import load_directory
from outsidein.sim import SimulationSummary, simulate
from outsidein.store import connect

AS_OF = date(2025, 7, 1)
FIRST, LAST = date(2024, 7, 1), AS_OF - timedelta(days=1)
RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
CONFIG = AnalyticsConfig(currency_rates=RATES)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    out = tmp_path_factory.mktemp("sim") / "company"
    return simulate(
        out,
        accounts=300,
        months=12,
        seed=7,
        as_of=AS_OF,
        events_per_user_day=0.02,
        events_per_part=100_000,
    )


@pytest.fixture(scope="module")
def sim_store(simulated: SimulationSummary) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(simulated.out.parent / "outsidein.duckdb")
    results = load_directory(con, simulated.out)
    assert sum(r.rows_rejected for r in results) == 0
    yield con
    con.close()


def test_bridge_reconciles_exactly_on_the_simulated_company(
    sim_store: duckdb.DuckDBPyConnection,
) -> None:
    bridge = mrr_bridge(store_sources(sim_store), CONFIG, FIRST, LAST).to_pyarrow().to_pylist()
    assert len(bridge) == 12
    for row in bridge:
        moved = (
            row["opening_mrr"]
            + row["new"]
            + row["expansion"]
            - row["contraction"]
            - row["churned"]
            + row["reactivated"]
        )
        assert moved == row["closing_mrr"], row
    for before, after in itertools.pairwise(bridge):
        assert before["closing_mrr"] == after["opening_mrr"]
    assert sum(r["churned_customers"] for r in bridge) > 0
    assert sum(r["expansion"] for r in bridge) > 0 and sum(r["contraction"] for r in bridge) > 0


def test_closing_mrr_equals_an_independent_sum(
    simulated: SimulationSummary, sim_store: duckdb.DuckDBPyConnection
) -> None:
    """The last closing MRR, recomputed in plain Python from the simulator's Parquet."""
    subs = pq.read_table(simulated.paths["subscriptions"]).to_pylist()
    rates = {"USD": Decimal(1), **RATES}
    expected = sum(
        (
            (s["mrr"] * rates[s["currency"]]).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
            for s in subs
            if s["start_date"] <= LAST and (s["end_date"] is None or s["end_date"] > LAST)
        ),
        Decimal(0),
    )
    bridge = mrr_bridge(store_sources(sim_store), CONFIG, FIRST, LAST).to_pyarrow().to_pylist()
    assert bridge[-1]["closing_mrr"] == expected


def test_ground_truth_churn_and_reactivation_show_in_the_bridge(
    simulated: SimulationSummary, sim_store: duckdb.DuckDBPyConnection
) -> None:
    truth = pq.read_table(simulated.ground_truth["accounts"]).to_pylist()
    moves = account_movements(store_sources(sim_store), CONFIG, FIRST, LAST)
    movement = {
        (r["account_id"], r["period_start"]): r["movement"] for r in moves.to_pyarrow().to_pylist()
    }
    churned = [t for t in truth if t["churned"] and FIRST < t["churn_date"] <= LAST]
    back = [t for t in truth if t["reactivated"] and FIRST <= t["reactivated_at"] <= LAST]
    assert churned and back
    for t in churned:
        month = t["churn_date"].replace(day=1)
        assert movement.get((t["account_id"], month)) == "churned", t
    for t in back:
        month = t["reactivated_at"].replace(day=1)
        assert movement.get((t["account_id"], month)) == "reactivated", t
    # ...and nobody else churns for good: every account churned in the bridge and not back
    # by the end is a ground-truth churn.
    last_move: dict[str, str] = {}
    for (account, _), kind in sorted(movement.items(), key=lambda item: item[0][1]):
        if kind in ("churned", "reactivated", "new"):
            last_move[account] = kind
    gone = {a for a, kind in last_move.items() if kind == "churned"}
    assert gone == {t["account_id"] for t in churned}
