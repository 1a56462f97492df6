"""The whole pipeline on DuckDB (the store) and on PySpark local mode (a Parquet lake
exported from that store) gives the same results: money to the cent, counts and dates
exactly, ratios to 12 significant digits (engines may round a last binary digit of
``pow`` differently)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset
import pytest

from outsidein.analytics import (
    AnalyticsConfig,
    lake_sources,
    mrr_bridge,
    spark_backend,
    store_sources,
)
from outsidein.analytics.pipeline import OUTPUTS, all_metrics
from outsidein.ingest import load_directory
from outsidein.sim import simulate
from outsidein.store import connect
from tests.analytics.company import load_company
from tests.analytics.conftest import SPARK_WARNINGS

pytestmark = [pytest.mark.slow, *SPARK_WARNINGS]

FIRST, LAST, SNAPSHOT_FIRST = date(2023, 10, 1), date(2024, 6, 30), date(2024, 5, 1)
CONFIG = AnalyticsConfig(
    currency_rates={"EUR": Decimal("1.10"), "GBP": Decimal("1.25")},
    key_features=[
        "report.created",
        "export.run",
        "Report Created",
        "Export Run",
        "Alert Configured",
    ],
    value_event="Report Created",
)


@pytest.fixture(scope="module")
def store_and_lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The hand-checked company plus a small simulated one, in a store and as a lake."""
    root = tmp_path_factory.mktemp("portable")
    simulate(
        root / "sim", accounts=40, months=12, seed=3, as_of=date(2024, 7, 1), events_per_part=20_000
    )
    con = connect(root / "outsidein.duckdb")
    load_company(con, root / "files")
    load_directory(con, root / "sim")
    # the simulated mobile usage arrives as counts: both engines must count it the same
    assert con.execute("SELECT count(*) FROM usage_daily").fetchall()[0][0] > 0
    lake = root / "lake"
    lake.mkdir()
    for kind in ("accounts", "subscriptions", "events", "contracts", "usage_daily"):
        con.execute(f"COPY {kind} TO '{lake / kind}.parquet' (FORMAT parquet)")
    con.close()
    yield root / "outsidein.duckdb", lake


def test_duckdb_and_spark_agree(store_and_lake: tuple[Path, Path], spark: Any) -> None:
    store, lake = store_and_lake
    con = duckdb.connect(str(store), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    duck = {
        name: expr.to_pyarrow()
        for name, expr in all_metrics(
            store_sources(con), CONFIG, FIRST, LAST, snapshot_first=SNAPSHOT_FIRST
        ).items()
    }
    con.close()
    on_spark = lake_sources(spark_backend(spark), lake)
    sparked = {
        name: expr.to_pyarrow()
        for name, expr in all_metrics(
            on_spark, CONFIG, FIRST, LAST, snapshot_first=SNAPSHOT_FIRST
        ).items()
    }
    assert list(duck) == list(sparked) == list(OUTPUTS)
    for name in OUTPUTS:
        assert_same(name, duck[name], sparked[name])
    # The comparison is not vacuous: the data reaches every output.
    assert 2500 < duck["account_daily_metrics"].num_rows <= 61 * (10 + 40)
    assert all(duck[name].num_rows > 0 for name in OUTPUTS)


def assert_same(name: str, left: pa.Table, right: pa.Table) -> None:
    assert left.schema == right.schema, name
    assert left.num_rows == right.num_rows, name
    keys = [(c, "ascending") for c in left.column_names if not _is_float(left.schema.field(c))]
    a, b = left.sort_by(keys).to_pylist(), right.sort_by(keys).to_pylist()
    for row_a, row_b in zip(a, b, strict=True):
        for column, value in row_a.items():
            other = row_b[column]
            if isinstance(value, float) and isinstance(other, float):
                assert math.isclose(value, other, rel_tol=1e-12), (name, column, row_a)
            else:
                assert value == other, (name, column, row_a, row_b)


def _is_float(field: pa.Field) -> bool:
    return bool(pa.types.is_floating(field.type))


def test_spark_job_writes_parquet_outputs(
    store_and_lake: tuple[Path, Path], spark: Any, tmp_path: Path
) -> None:
    """``python -m outsidein.analytics.spark_job`` on the active session, one output."""
    from outsidein.analytics.spark_job import main

    _, lake = store_and_lake
    toml = tmp_path / "outsidein.toml"
    toml.write_text("[analytics]\ncurrency_rates = { EUR = 1.10, GBP = 1.25 }\n", "utf-8")
    out = tmp_path / "metrics"
    args = ["--lake", str(lake), "--out", str(out), "--from", "2024-01-01"]
    args += ["--as-of", "2024-06-15", "--config", str(toml), "--only", "bridge_monthly"]
    assert main(args) == 0
    written = pa.dataset.dataset(out / "bridge_monthly", format="parquet").to_table()
    closing = sorted(written.to_pylist(), key=lambda r: r["period_start"])[-1]["closing_mrr"]
    con = duckdb.connect(str(store_and_lake[0]), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    config = AnalyticsConfig(currency_rates={"EUR": Decimal("1.10"), "GBP": Decimal("1.25")})
    bridge = mrr_bridge(store_sources(con), config, date(2024, 1, 1), date(2024, 6, 15))
    expected = bridge.to_pyarrow().to_pylist()[-1]["closing_mrr"]
    con.close()
    assert closing == expected and not (out / "mrr_daily").exists()
