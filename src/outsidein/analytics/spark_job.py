"""Compute every metric on Spark from a Parquet lake and write each one back as Parquet.

Run it where Spark runs: locally (``python -m outsidein.analytics.spark_job``) or on a
cluster with ``spark-submit`` (docs/metrics.md shows both). Each output becomes a folder of
Parquet parts under ``--out``: ``mrr_monthly/``, ``bridge_monthly/``, ...,
``account_daily_metrics/`` (see ``outsidein.analytics.pipeline.OUTPUTS``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from outsidein.analytics.backend import lake_sources, local_spark, spark_backend
from outsidein.analytics.periods import add_periods
from outsidein.analytics.pipeline import OUTPUTS, all_metrics
from outsidein.config import load_config


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="outsidein-spark-job", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--lake", required=True, help="folder or URL of the Parquet lake")
    parser.add_argument("--out", required=True, help="folder or URL the outputs are written to")
    parser.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD [default: today]")
    parser.add_argument(
        "--from", dest="first", type=date.fromisoformat, help="YYYY-MM-DD [11 months before]"
    )
    parser.add_argument(
        "--snapshot-from", type=date.fromisoformat, help="first day of the daily snapshot"
    )
    parser.add_argument("--config", type=Path, help="outsidein.toml with an [analytics] section")
    parser.add_argument("--only", nargs="*", choices=OUTPUTS, help="compute only these outputs")
    parser.add_argument(
        "--local", action="store_true", help="start a local-mode session (no spark-submit)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    config = load_config(args.config).analytics
    last = args.as_of or datetime.now(UTC).date()
    first = args.first or add_periods(last.replace(day=1), "month", -11)
    session = local_spark() if args.local else None
    backend = spark_backend(session)
    sources = lake_sources(backend, args.lake)
    outputs = all_metrics(sources, config, first, last, snapshot_first=args.snapshot_from)
    for name, expr in outputs.items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        target = f"{str(args.out).rstrip('/')}/{name}"
        backend.to_parquet(expr, target, mode="overwrite")
        print(f"{name}: {target} ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
