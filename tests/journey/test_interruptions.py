"""Interruptions against the simulator's planted truth (ground_truth/handoffs.parquet)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.ingest.directory import load_directory
from outsidein.journey.interruptions import broken_handoffs
from outsidein.journey.report import account_report, end_of, interruptions_report, states_report
from outsidein.settings.journey import JourneyConfig
from outsidein.sim import SimulationSummary, simulate
from outsidein.store import connect

AS_OF = date(2025, 7, 1)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulationSummary, Path]]:
    root = tmp_path_factory.mktemp("journey")
    summary = simulate(
        root / "company", accounts=150, months=8, seed=21, as_of=AS_OF, events_per_user_day=0.01
    )
    db = root / "store.duckdb"
    con = connect(db)
    try:
        results = load_directory(con, summary.out)
        assert sum(r.rows_rejected for r in results) == 0
    finally:
        con.close()
    yield summary, db


@pytest.fixture
def con(company: tuple[SimulationSummary, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(company[1], read_only=True)
    yield c
    c.close()


def test_every_planted_broken_handoff_is_found_by_its_id(
    company: tuple[SimulationSummary, Path], con: duckdb.DuckDBPyConnection
) -> None:
    truth = pq.read_table(company[0].ground_truth["handoffs"]).to_pylist()
    planted = {t["handoff_id"] for t in truth if t["broken"]}
    assert len(planted) >= 20, "too few planted broken hand-offs to judge"
    found = broken_handoffs(con, JourneyConfig().handoffs, datetime(AS_OF.year, AS_OF.month, 1))
    ids = {b.handoff_id for b in found}
    recall = len(ids & planted) / len(planted)
    precision = len(ids & planted) / len(ids)
    print(f"broken hand-offs: {len(planted)} planted, {len(ids)} found, "
          f"recall {recall:.3f}, precision {precision:.3f}")  # fmt: skip
    assert recall == 1.0, sorted(planted - ids)[:5]
    assert precision >= 0.95
    late = [b for b in found if b.taken_at is not None]
    assert late and all(b.hours_to_take_up > b.limit_hours for b in late)
    assert "nobody has taken it up" in next(b for b in found if b.taken_at is None).evidence


def test_one_account_s_are_those_of_everyone_kept_to_it(con: duckdb.DuckDBPyConnection) -> None:
    """The account page asks for one account (narrowed in SQL): the same hand-offs as the
    whole book's, and the account page's journey section is the reports' composition."""
    as_of = datetime(AS_OF.year, AS_OF.month, 1)
    everyone = broken_handoffs(con, JourneyConfig().handoffs, as_of)
    busiest = Counter(b.account_id for b in everyone).most_common(3)
    for account_id, n in busiest:
        mine = broken_handoffs(con, JourneyConfig().handoffs, as_of, accounts=[account_id])
        assert mine == [b for b in everyone if b.account_id == account_id] and len(mine) == n
    assert broken_handoffs(con, JourneyConfig().handoffs, as_of, accounts=[]) == []
    journey = JourneyConfig()
    at = end_of(con, None)
    for account_id, _ in busiest:
        page = account_report(con, journey, account_id)
        states = states_report(con, journey, at, accounts=[account_id], limit=1)
        breaks = interruptions_report(con, journey, at, accounts=[account_id], limit=1000)
        assert page["state"] == states["items"][0]
        assert page["open"] == [i for i in breaks["items"] if i["open"]]
        assert page["total"] == breaks["total"] > 0


def test_a_tighter_limit_finds_more(con: duckdb.DuckDBPyConnection) -> None:
    as_of = datetime(AS_OF.year, AS_OF.month, 1)
    default = broken_handoffs(con, JourneyConfig().handoffs, as_of)
    tight = JourneyConfig.model_validate(
        {"handoffs": [{"from_function": "support", "to_function": t, "within_hours": 1}
                      for t in ("product", "billing", "success")]}
    )  # fmt: skip
    assert len(broken_handoffs(con, tight.handoffs, as_of)) > len(default)


def test_the_cli_lists_them(company: tuple[SimulationSummary, Path]) -> None:
    args = ["journey", "broken-handoffs", "--db", str(company[1]), "--as-of", "2025-07-01"]
    result = CliRunner().invoke(app, [*args, "--json", "--top", "1000"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    truth = pq.read_table(company[0].ground_truth["handoffs"]).to_pylist()
    assert {r["handoff_id"] for r in rows} == {t["handoff_id"] for t in truth if t["broken"]}
    assert all(r["evidence"].startswith(f"case {r['case_id']} handed from") for r in rows)
