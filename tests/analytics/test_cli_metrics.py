"""``outsidein metrics ...`` as a user runs it, on the hand-checked company."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

import outsidein.cli.metrics  # noqa: F401  (registers the command group)
from outsidein.cli.app import app, console
from outsidein.errors import InvalidRequestError, StoreError, StoreLockedError

Invoke = Callable[..., Result]

CONFIG_TOML = """
[analytics]
currency_rates = { EUR = 1.10, GBP = 1.25 }
key_features = ["report.created", "dashboard.shared", "export.run", "alert.set"]
value_event = "report.created"
"""


@pytest.fixture
def invoke(
    company_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    toml = tmp_path / "outsidein.toml"
    toml.write_text(CONFIG_TOML, encoding="utf-8")
    # Widen the shared console for these tests only, restoring its own (unset) width after.
    monkeypatch.setattr(console, "_width", 200)

    def run(*args: str) -> Result:
        common = ["--db", str(company_store), "--config", str(toml)]
        return CliRunner().invoke(app, ["metrics", *args, *common], catch_exceptions=True)

    yield run


def test_bridge_table(invoke: Invoke) -> None:
    result = invoke("bridge", "--from", "2024-01-01", "--as-of", "2024-06-15")
    assert result.exit_code == 0, result.output
    assert "MRR bridge by month (USD)" in result.output
    line = next(line for line in result.output.splitlines() if "2024-02-01" in line)
    assert "1,945.67" in line and "50.00" in line and "55.17" in line and "1,940.50" in line


def test_mrr_weekly_for_a_segment(invoke: Invoke) -> None:
    result = invoke(
        "mrr",
        "--grain",
        "week",
        "--segment",
        "Enterprise",
        "--from",
        "2024-03-11",
        "--as-of",
        "2024-03-24",
    )
    assert result.exit_code == 0, result.output
    # 03-24: A5 1000 + its add-on 250 + A9 500
    assert "1,750.00" in result.output and "21,000.00" in result.output


def test_retention_cohorts_renewals_usage(invoke: Invoke) -> None:
    retention = invoke("retention", "--from", "2024-12-01", "--as-of", "2024-12-31")
    assert retention.exit_code == 0, retention.output
    assert "72.2%" in retention.output and "68.2%" in retention.output  # NRR, GRR
    cohorts = invoke("cohorts", "--measure", "nrr", "--from", "2023-10-01", "--as-of", "2024-06-15")
    assert cohorts.exit_code == 0, cohorts.output
    assert "145.0%" in cohorts.output  # A3 back at 80 against 55.17
    renewals = invoke("renewals", "--days", "90", "--as-of", "2024-06-15")
    assert renewals.exit_code == 0, renewals.output
    assert "Steady plc" in renewals.output and "6,000.00" in renewals.output
    assert "multi_year" in renewals.output and "Blink" not in renewals.output
    assert "│ no " in renewals.output  # C9 does not renew by itself
    assert "ARR at stake: 9,780.00 USD in 3 contracts" in renewals.output
    monthly = invoke("renewals", "--include-monthly", "--as-of", "2024-06-15")
    assert monthly.exit_code == 0, monthly.output
    assert "ARR at stake: 12,660.00 USD in 6 contracts" in monthly.output
    assert "Comeback GmbH" in monthly.output  # A3: month-to-month
    usage = invoke("usage", "--account", "A1", "--as-of", "2024-06-15")
    assert usage.exit_code == 0, usage.output
    assert "Upgrade Downgrade Ltd" in usage.output and "dashboard.shared" in usage.output


def test_export_csv_and_parquet(invoke: Invoke, tmp_path: Path) -> None:
    csv_path, parquet_path = tmp_path / "out" / "bridge.csv", tmp_path / "bridge.parquet"
    first = invoke(
        "bridge", "--from", "2024-01-01", "--as-of", "2024-06-15", "--out", str(csv_path)
    )
    assert first.exit_code == 0 and "wrote 6 rows" in first.output
    table = pacsv.read_csv(csv_path)
    assert table.column_names[:3] == ["period_start", "closing_date", "opening_mrr"]
    assert table.num_rows == 6
    second = invoke(
        "cohorts", "--from", "2023-10-01", "--as-of", "2024-06-15", "--out", str(parquet_path)
    )
    assert second.exit_code == 0
    assert pq.read_table(parquet_path).num_rows == 41
    bad = invoke("mrr", "--out", str(tmp_path / "x.xlsx"))
    assert isinstance(bad.exception, InvalidRequestError)
    assert "--out must end in .csv or .parquet" in bad.exception.message


def test_snapshot_command_builds_then_updates(
    company_store: Path, tmp_path: Path, invoke: Invoke
) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(company_store.read_bytes())
    toml = tmp_path / "outsidein.toml"
    runner = CliRunner()
    args = [
        "metrics",
        "snapshot",
        "--db",
        str(copy),
        "--config",
        str(toml),
        "--as-of",
        "2024-06-15",
    ]
    first = runner.invoke(app, [*args, "--rebuild", "--from", "2024-06-01"])
    assert first.exit_code == 0, first.output
    assert "full (asked for a full build); 150 rows for 10 accounts" in first.output
    again = runner.invoke(app, args)
    assert "incremental (new data); 0 rows for 0 accounts" in again.output


def test_errors_a_user_can_act_on(company_store: Path, invoke: Invoke) -> None:
    bad_date = invoke("mrr", "--as-of", "15/06/2024")
    assert bad_date.exit_code == 2 and "is not a date like 2025-07-01" in bad_date.output
    spark = invoke("mrr", "--engine", "spark")
    assert "--engine spark needs --lake" in str(spark.exception)
    periods = invoke("bridge", "--grain", "day", "--from", "1900-01-01", "--as-of", "2024-06-15")
    assert isinstance(periods.exception, InvalidRequestError)
    assert "is 45,457 periods; a report covers at most 1,000" in periods.exception.message
    missing = CliRunner().invoke(app, ["metrics", "mrr", "--db", str(company_store) + ".nope"])
    assert isinstance(missing.exception, StoreError)
    assert "no store here; run `outsidein load` or `outsidein demo` first" in str(missing.exception)


def test_snapshot_while_another_process_holds_the_store(
    company_store: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "held.duckdb"
    copy.write_bytes(company_store.read_bytes())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(60)", str(copy)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = CliRunner().invoke(app, ["metrics", "snapshot", "--db", str(copy)])
        assert isinstance(result.exception, StoreLockedError)
        assert f"process {holder.pid}" in result.exception.message
        # Not a server that could be asked: the message says so and what to do.
        assert "which is not a running `outsidein serve`" in result.exception.message
        assert "wait for it to finish, or stop it" in result.exception.message
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
