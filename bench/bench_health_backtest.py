"""A 12-month monthly health backtest of 100,000 accounts (goal: <= 60 s).

The company is synthetic (bench/health_synth.py): accounts, subscriptions (some end: churn
or contraction), NPS answers, cases, and the snapshot rows of the days the backtest reads
(each point and 90 days after it), written directly. Timed: :func:`backtest` alone, with a
vectorised 3-measure scoring callable standing in for the engine.

    .venv/bin/python bench/bench_health_backtest.py --accounts 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from health_synth import seed_company, vector_score, write_snapshot
from outsidein.health.backtest import backtest, monthly_points
from outsidein.store import connect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    as_of = datetime.now(UTC).date()
    points = monthly_points(as_of, 12, 90)
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        seed_company(con, args.accounts, points[0], as_of)
        write_snapshot(con, args.accounts, points + [p + timedelta(days=90) for p in points])
        print(f"synthesised {args.accounts:,} accounts in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        report = backtest(con, vector_score, as_of)
        seconds = time.perf_counter() - started
        con.close()
    print(
        f"backtest: {len(report.points)} points, {report.observations:,} observations, "
        f"{report.lost:,} lost, AUC {report.auc:.3f}, lowest-decile lift {report.lift:.2f}"
    )
    for band in report.bands:
        print(f"  {band.band}: {band.observations:,} observations, loss rate {band.rate:.3f}")
    print(f"seconds: {seconds:.1f} (goal <= 60)")


if __name__ == "__main__":
    main()
