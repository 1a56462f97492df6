"""Tiers and advocates on a simulated company, checked against the simulator's ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from outsidein.analytics import update_snapshot
from outsidein.config import OutsideInConfig, load_config
from outsidein.health.service import score_now
from outsidein.ingest import load_directory
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.tiers import advocates, read, record_day
from tests.web.conftest import TODAY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    tuple[duckdb.DuckDBPyConnection, OutsideInConfig, Path]
]:  # fmt: skip
    folder = tmp_path_factory.mktemp("simulated")
    # without the planted plays: their extra users and the upsell push's churn are not about
    # advocates (sim/plays.py)
    sim = simulate(folder / "company", accounts=400, months=12, seed=7, as_of=TODAY,
                   events_per_part=1_000_000, plays=False)  # fmt: skip
    config = load_config(folder / "company" / "outsidein.toml")
    con = connect(folder / "store.duckdb")
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    update_snapshot(con, config.analytics)
    score_now(con, config)
    record_day(con, config, TODAY)
    yield con, config, sim.ground_truth["advocates"]
    con.close()


def test_every_tier_has_customers(
    company: tuple[duckdb.DuckDBPyConnection, OutsideInConfig, Path],
) -> None:
    con, config, _ = company
    tiers = read.report(con, config.tiers, TODAY).coverage.tiers
    assert [t.tier for t in tiers] == ["high_touch", "low_touch", "tech_touch"]
    assert all(t.accounts > 0 for t in tiers), tiers
    # ARR per customer falls from tier to tier: the rules are on ARR first.
    per = [t.arr / t.accounts for t in tiers]
    assert per[0] > per[1] > per[2]


def test_advocates_match_the_ground_truth(
    company: tuple[duckdb.DuckDBPyConnection, OutsideInConfig, Path],
) -> None:
    """Precision against the planted truth (customers whose latent health makes them
    promoters and who adopted most key features); recall is bounded by who answers NPS."""
    con, config, truth_path = company
    truth = pq.read_table(truth_path).to_pylist()
    true = {r["account_id"] for r in truth if r["advocate"]}
    found = advocates(con, TODAY, config.advocates, key_features=len(config.analytics.key_features))
    got = {a.account_id for a in found}
    assert len(got) >= 10
    precision = len(got & true) / len(got)
    recall = len(got & true) / len(true)
    assert precision >= 0.6, (precision, recall, len(got), len(true))
    assert recall >= 0.35, (precision, recall, len(got), len(true))
    champions = {r["account_id"]: r["champion_contact_id"] for r in truth}
    named = [a for a in found if a.champion_source == "nps answer"]
    assert len(named) == len(found) and all(a.champion_name for a in found)
    # The champion named is the promoter who answered NPS first (then the champion contact):
    # since the simulator's four-week pulse survey, more answers come from other contacts
    # (30 % matched on seed 7's 300 accounts; a third before the pulse).
    assert sum(a.champion_id == champions[a.account_id] for a in found) >= len(found) // 4
