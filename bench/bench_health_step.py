"""The incremental health step after 1M new events, 100,000 accounts (goal: <= 10 s).

A synthetic company (bench/health_synth.py) with events over the last 28 days and a built
daily snapshot; the health step scores everyone once. Then 1M new events of today arrive for
random accounts (so nearly every account is touched: the worst case), and the two steps of
the pipeline run as the server runs them: ``update_snapshot`` (timed and reported
separately, it is the snapshot's own step) and the health step (the goal). The scoring
callable is a vectorised 3-measure stand-in for the engine; its share is printed.

    .venv/bin/python bench/bench_health_step.py --accounts 100000 --events 1000000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from health_synth import seed_company, vector_score
from outsidein.analytics import AnalyticsConfig, build_snapshot, update_snapshot
from outsidein.health.history import Scored
from outsidein.health.step import HealthStep
from outsidein.store import connect

EVENTS_SQL = """
    INSERT INTO events
    SELECT '{tag}' || i, 'A' || (hash(i, '{tag}') % $n), 'u' || (hash(i, 'u') % 20), 'login',
           $start + to_microseconds(CAST((hash(i, 't') % 1000000) / 1e6 * $span AS BIGINT)),
           NULL, 'bench', now()::TIMESTAMP
    FROM range($events) t(i)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(tzinfo=None)
    today = now.date()
    midnight = datetime.combine(today, datetime.min.time())
    config = AnalyticsConfig()
    scoring = [0.0]

    def score(inputs: pa.Table) -> Scored:
        started = time.perf_counter()
        result = vector_score(inputs)
        scoring[0] += time.perf_counter() - started
        return result

    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        seed_company(con, args.accounts, today - timedelta(days=365), today)
        span = (midnight - (midnight - timedelta(days=28))).total_seconds() * 1e6
        con.execute(
            EVENTS_SQL.format(tag="old"),
            {"n": args.accounts, "start": midnight - timedelta(days=28), "span": span,
             "events": args.events},
        )  # fmt: skip
        build_snapshot(con, config, today, since=today - timedelta(days=1))
        step = HealthStep(score, config=lambda: config)
        first = step.run(con)
        print(f"first health run (every account): {first.seconds:.1f} s, {first.written:,} rows")
        time.sleep(0.01)  # the new events load after the marks
        con.execute(
            EVENTS_SQL.format(tag="new"),
            {"n": args.accounts, "start": midnight,
             "span": (datetime.now(UTC).replace(tzinfo=None) - midnight).total_seconds() * 1e6,
             "events": args.events},
        )  # fmt: skip
        started = time.perf_counter()
        snap = update_snapshot(con, config, today)
        snapshot_seconds = time.perf_counter() - started
        scoring[0] = 0.0
        run = step.run(con)
        con.close()
    print(
        f"snapshot update (its own step): {snapshot_seconds:.1f} s for {snap.new_events:,} "
        f"events, {snap.accounts:,} accounts"
    )
    print(
        f"health step: {run.seconds:.1f} s (goal <= 10) for {run.accounts:,} accounts "
        f"({run.reason}), {run.written:,} changed; scoring callable {scoring[0]:.1f} s of it"
    )


if __name__ == "__main__":
    main()
