"""What the snapshot cannot avoid: rolling events up per account, user and day.

Exact distinct users over 7/28/90-day windows need the events at (account, user, day)
granularity at least. This times that roll-up against the snapshot benchmark's floor (read
and group by account and day only), both in DuckDB on the same Parquet, alternating, each in
a fresh connection. Their ratio is a lower bound for the snapshot's ratio to the floor.

    .venv/bin/python bench/bench_snapshot.py --workdir /tmp/snap --generate-only \\
        --events 100000000 --accounts 10000 --months 12
    .venv/bin/python bench/bench_rollup.py --lake /tmp/snap/lake
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb

QUERIES = {
    "floor: account, day": "SELECT account_id, timestamp::DATE AS day, count(*) AS n",
    "roll-up: account, user, day": (
        "SELECT account_id, user_id, timestamp::DATE AS day, count(*) AS n"
    ),
}


def timed(lake: Path, select: str, memory: str) -> float:
    con = duckdb.connect(config={"memory_limit": memory})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    con.execute(
        f"CREATE TABLE rolled AS {select} FROM read_parquet('{lake}/events/*.parquet') GROUP BY ALL"
    )
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lake", type=Path, required=True, help="bench_snapshot's lake")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="3GB")
    args = parser.parse_args()
    runs: dict[str, list[float]] = {label: [] for label in QUERIES}
    for _ in range(args.repeat):
        for label, select in QUERIES.items():
            runs[label].append(timed(args.lake, select, args.memory_limit))
    medians = {label: statistics.median(times) for label, times in runs.items()}
    floor = medians["floor: account, day"]
    for label, seconds in medians.items():
        print(f"{label:<30} {seconds:6.2f} s (median of {args.repeat})  {seconds / floor:.2f}x")


if __name__ == "__main__":
    main()
