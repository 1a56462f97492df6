"""File load throughput: `outsidein load` vs DuckDB's own read_csv / read_parquet.

Both write the same events file into a fresh DuckDB database file on disk; ours also
validates every row (types, required, references, future dates, duplicate keys) and keeps
rejects and the load log. Each side runs ``--repeat`` times, alternating, each run in a
fresh process on a fresh file; the median time of each side is reported, as rows/s and the
ratio (goal: >= 0.5), with the range of the ratio over the paired runs.

``--us-dates`` writes the event times as US text (``10/16/2024 14:05:09``), so ours also
detects the column's format and reads every value with it (docs/loading.md).

    .venv/bin/python bench/bench_load.py --rows 5000000
    .venv/bin/python bench/bench_load.py --rows 5000000 --us-dates
    .venv/bin/python bench/bench_load.py --rows 5000000 --us-dates --transform

``--transform`` also maps the event names through a value map (``--values``), so the file
goes through the transform plan (:mod:`outsidein.ingest.transforms`) and its dates are
detected on the transformed rows.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from outsidein.ingest import load_file
from outsidein.settings.load import LoadSpec
from outsidein.store import connect

ACCOUNTS = 2000
EVENT_NAMES = {"Login": "login", "Report Created": "report_created", "*": "other"}


def make_events(rows: int, us_dates: bool = False) -> pa.Table:
    rng = np.random.default_rng(1)
    ids = pa.array(np.arange(rows)).cast(pa.string())
    accounts = np.char.add("acct-", np.arange(ACCOUNTS).astype(str))
    events = np.array(["Login", "Report Created", "Dashboard Viewed", "Export Run"])
    seconds = rng.integers(0, 86400 * 365, rows).astype("timedelta64[s]")
    times = pa.array(np.datetime64("2025-01-01") + seconds)
    if us_dates:
        times = pc.strftime(times, "%m/%d/%Y %H:%M:%S")
    return pa.table(
        {
            "message_id": pc.binary_join_element_wise("msg-", ids, ""),
            "account_id": pa.array(accounts[rng.integers(0, ACCOUNTS, rows)]),
            "user_id": pa.array(rng.integers(0, 10_000, rows)).cast(pa.string()),
            "event": pa.array(events[rng.integers(0, len(events), rows)]),
            "timestamp": times,
            "properties": pa.array(['{"plan":"growth"}'] * rows),
        }
    )


def duckdb_baseline(path: Path, reader: str, workdir: Path) -> float:
    db = workdir / f"baseline-{reader}.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    con.execute(f"CREATE TABLE events AS SELECT * FROM {reader}('{path}')")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def ours(path: Path, workdir: Path, label: str, transform: bool = False) -> float:
    db = workdir / f"ours-{label}.duckdb"
    for old in workdir.glob(f"{db.name}*"):
        old.unlink()
    con = connect(db)
    con.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        f"SELECT 'acct-' || i, 'Account ' || i, DATE '2024-01-01', 'bench', now()::TIMESTAMP "
        f"FROM range({ACCOUNTS}) t(i)"
    )
    started = time.perf_counter()
    spec = LoadSpec(values={"event": EVENT_NAMES}) if transform else None
    result = load_file(con, "events", path, transforms=spec)
    elapsed = time.perf_counter() - started
    assert result.rows_inserted == result.rows_read, result
    con.close()
    return elapsed


def measured(func: Callable[..., float], *args: object) -> tuple[float, float]:
    """Run ``func`` in a fresh process: (seconds, peak RSS in MB) of that process alone."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_child, func, *args).result()


def _child(func: Callable[..., float], *args: object) -> tuple[float, float]:
    elapsed = func(*args)
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (median)")
    parser.add_argument(
        "--us-dates", action="store_true", help="event times as M/D/YYYY HH:MM:SS text"
    )
    parser.add_argument(
        "--transform", action="store_true", help="map the event names (--values) on the way"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        table = make_events(args.rows, args.us_dates)
        csv_path, parquet_path = workdir / "events.csv", workdir / "events.parquet"
        pacsv.write_csv(table, csv_path)
        pq.write_table(table, parquet_path)
        del table
        dates = ", US dates (M/D/YYYY HH:MM:SS)" if args.us_dates else ""
        dates += ", event names mapped (--values)" if args.transform else ""
        print(f"events file load, {args.rows:,} rows{dates}, fresh DuckDB file each")
        print(
            f"{'format':<8} {'duckdb rows/s':>14} {'outsidein rows/s':>17} {'ratio':>6} "
            f"{'duckdb peak MB':>15} {'outsidein peak MB':>18}  ratio per run"
        )
        for fmt, path, reader in (
            ("csv", csv_path, "read_csv"),
            ("parquet", parquet_path, "read_parquet"),
        ):
            runs = []
            for _ in range(args.repeat):
                runs.append(
                    (
                        measured(duckdb_baseline, path, reader, workdir),
                        measured(ours, path, workdir, fmt, args.transform),
                    )
                )
            base = statistics.median(b for (b, _), _ in runs)
            mine = statistics.median(m for _, (m, _) in runs)
            base_mb = max(mb for (_, mb), _ in runs)
            mine_mb = max(mb for _, (_, mb) in runs)
            per_run = " ".join(f"{b / m:.2f}" for (b, _), (m, _) in runs)
            print(
                f"{fmt:<8} {args.rows / base:>14,.0f} {args.rows / mine:>17,.0f} "
                f"{base / mine:>6.2f} {base_mb:>15,.0f} {mine_mb:>18,.0f}  {per_run}"
            )


if __name__ == "__main__":
    main()
