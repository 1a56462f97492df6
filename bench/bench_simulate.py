"""Simulation throughput: `outsidein.sim.simulate` vs writing ready-made events with pyarrow.

Simulates a company big enough for >= 10M events into a temporary folder and reports
events/s (whole run, and the events stage alone) and peak RSS (goals: >= 1M events/s,
<= 2 GB). The peer is the I/O ceiling: the same number of event rows, already in memory,
written as Parquet with the same settings; the ratio shows how close generation gets to it.

    .venv/bin/python bench/bench_simulate.py
    .venv/bin/python bench/bench_simulate.py --accounts 100000 --events-per-user-day 0.06
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outsidein.sim import simulate

AS_OF = date(2026, 1, 1)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_only(rows: int, folder: Path) -> float:
    """Seconds to write ``rows`` prepared event rows (1M-row batches) with the same settings."""
    batch = 1_000_000
    rng = np.random.default_rng(1)
    ids = pc.cast(pa.array(np.arange(batch)), pa.string())
    names = pa.array(["Login", "Dashboard Viewed", "Report Created", "Export Run"])
    table = pa.table(
        {
            "message_id": pc.binary_join_element_wise("evt_", ids, ""),
            "account_id": pc.binary_join_element_wise(
                "ACC-", pc.cast(pa.array(rng.integers(0, 10_000, batch)), pa.string()), ""
            ),
            "user_id": pc.binary_join_element_wise(
                "usr_", pc.cast(pa.array(rng.integers(0, 300_000, batch)), pa.string()), ""
            ),
            "event": pa.DictionaryArray.from_arrays(
                pa.array(rng.integers(0, 4, batch).astype(np.int32)), names
            ),
            "timestamp": pa.array(
                np.sort(rng.integers(1.7e15, 1.76e15, batch)).astype("datetime64[us]")
            ),
            "properties": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(batch, dtype=np.int32)), pa.array(['{"platform":"web"}'])
            ),
        }
    )
    started = time.perf_counter()
    with pq.ParquetWriter(
        folder / "baseline.parquet",
        table.schema,
        compression="zstd",
        use_dictionary=["account_id", "user_id", "event", "properties"],
        store_schema=False,
    ) as writer:
        for _ in range(max(1, rows // batch)):
            writer.write_table(table, row_group_size=batch)
    return (time.perf_counter() - started) * rows / (max(1, rows // batch) * batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--events-per-user-day", type=float, default=0.07)
    args = parser.parse_args()

    stages: dict[str, float] = {}
    started = time.perf_counter()

    def on_step(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        summary = simulate(
            folder / "company",
            accounts=args.accounts,
            months=args.months,
            as_of=AS_OF,
            events_per_user_day=args.events_per_user_day,
            progress=on_step,
        )
        total = time.perf_counter() - started
        rss = peak_rss_mb()
        events = summary.counts["events"]
        events_stage = stages["ground truth"] - stages["events"]
        size = sum(p.stat().st_size for p in summary.event_parts) / 1e6
        baseline = write_only(events, folder)

    ours = events / total
    stage_rate = events / events_stage
    ceiling = events / baseline
    header = (
        f"{'accounts':>9} {'months':>6} {'events':>12} {'parts':>5} {'MB':>6} {'total s':>8} "
        f"{'events/s':>11} {'stage ev/s':>11} {'write-only ev/s':>15} {'ratio':>6} "
        f"{'peak RSS MB':>11}"
    )
    row = (
        f"{args.accounts:>9,} {args.months:>6} {events:>12,} {len(summary.event_parts):>5} "
        f"{size:>6.0f} {total:>8.1f} {ours:>11,.0f} {stage_rate:>11,.0f} {ceiling:>15,.0f} "
        f"{ours / ceiling:>6.2f} {rss:>11,.0f}"
    )
    print(header)
    print(row)
    goals = ours >= 1_000_000 and rss <= 2048
    print(f"goal >= 1M events/s and <= 2 GB peak RSS: {'met' if goals else 'NOT met'}")


if __name__ == "__main__":
    main()
