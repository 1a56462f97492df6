"""No feature peeks past its observation day.

Two stores hold the same simulated company; in the second, every date and time after the end
of the observation day (events, subscriptions' starts and ends, cases, survey answers,
contacts, accounts, contracts) is moved 45 days later. Rebuilding both snapshots and asking
for the feature rows on that day must give the same row for every feature: a feature that
read anything after the day would differ.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from outsidein.analytics import build_snapshot
from outsidein.config import OutsideInConfig
from outsidein.ingest import load_directory
from outsidein.predict.features import DERIVED, features_at
from outsidein.sim import simulate
from outsidein.sim.settings import company_config
from outsidein.store import connect
from outsidein.store.tables import TABLES

AS_OF = date(2025, 7, 1)
DAY = date(2025, 2, 14)
SHIFT = 45


def _shift_after(con: duckdb.DuckDBPyConnection, day: date) -> int:
    """Move every canonical date/time after the end of ``day`` SHIFT days later."""
    end = datetime.combine(day + timedelta(days=1), time())
    moved = 0
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE data_type IN ('DATE', 'TIMESTAMP') AND column_name <> 'loaded_at'"
    ).fetchall()
    for table, column, kind in rows:
        if table not in TABLES:
            continue
        bound = day + timedelta(days=1) if kind == "DATE" else end
        (count,) = con.execute(
            f'UPDATE {table} SET "{column}" = "{column}" + INTERVAL {SHIFT} DAY '
            f'WHERE "{column}" >= ?',
            [bound],
        ).fetchall()[0]
        moved += int(count)
    return moved


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, pa.Table, int]:
    folder: Path = tmp_path_factory.mktemp("predict-leak")
    company = simulate(
        folder / "company", accounts=250, months=12, seed=4, as_of=AS_OF,
        events_per_user_day=0.05, events_per_part=1_000_000,
    )  # fmt: skip
    config = OutsideInConfig.model_validate(tomllib.loads(company_config())).analytics
    out = []
    moved = 0
    for name in ("same", "shifted"):
        con = connect(folder / f"{name}.duckdb")
        try:
            load_directory(con, company.out)
            if name == "shifted":
                moved = _shift_after(con, DAY)
            build_snapshot(con, config, DAY, since=DAY - timedelta(days=120))
            out.append(features_at(con, DAY, config=config))
        finally:
            con.close()
    return out[0], out[1], moved


def test_shifting_the_future_changes_no_feature(rows: tuple[pa.Table, pa.Table, int]) -> None:
    same, shifted, moved = rows
    assert moved > 1000  # the future really moved
    assert same.num_rows > 100
    assert same["account_id"].equals(shifted["account_id"])
    names = [n for n in same.column_names if n not in ("account_id", "day")]
    for derived in DERIVED:
        assert derived.name in names
    differs = [n for n in names if not same[n].equals(shifted[n])]
    assert differs == [], f"features that read past the observation day: {differs}"
