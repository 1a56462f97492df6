"""Evaluating 100 saved segments over 100,000 accounts (goal: <= 2 s on the 2-core machine).

A synthetic company (bench/health_synth.py: accounts, subscriptions, surveys, cases, a daily
snapshot row for today), health scored once, a custom field on every account, and 100 saved
segments over health, usage, revenue, renewal, lifecycle, surveys, cases and the custom field.
Times, median of ``--repeat`` runs:

* **recompute**: what the pipeline step does — :func:`outsidein.segments.refresh_membership`:
  every field the segments read gathered once for the day (health's inputs, the lifecycle,
  the health history, custom fields), the 100 filters in one parameterised DuckDB query, the
  membership intervals updated (the goal);
* of it, the 100 filters alone over the gathered fields table (one query);
* peers in the same run, over the same gathered table: a naive loop of 100 separate DuckDB
  queries, and a loop of 100 filters evaluated one by one with NumPy (the expression
  language's vector back end, :mod:`outsidein.expr.vector`, as a pandas-style mask per
  segment, gathering the same ``key, account_id`` table).

    .venv/bin/python bench/bench_segments.py [--accounts 100000] [--segments 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from health_synth import seed_company, vector_score, write_snapshot
from outsidein.expr.nodes import fields as fields_of
from outsidein.expr.vector import columns_of
from outsidein.expr.vector import evaluate as vector_evaluate
from outsidein.health.history import record_scores
from outsidein.health.inputs import inputs_at
from outsidein.segments import (
    Context,
    catalogue,
    compile_filter,
    create_segment,
    evaluate,
    filter_sql,
    gather,
    refresh_membership,
)
from outsidein.segments.evaluate import FIELDS_TABLE
from outsidein.store import connect

TEMPLATES = (
    "health < {a}",
    "health >= {a} and nps >= 9",
    'segment = "Enterprise" and health < {a}',
    "active_users_28 <= {u} and mrr > 0",
    "days_since_last_activity >= {d}",
    'custom.plan_tier in ("Pro", "Business") and health < {a}',
    'lifecycle_status = "active" and open_cases >= 1',
    "seat_utilization < {r} and seats_bought >= 5",
    "events_28 >= {e} or active_users_7 >= {u}",
    'health_band = "red" and segment != "SMB"',
)


def filters(count: int) -> list[str]:
    """``count`` filters from the templates with thresholds that vary."""
    out = []
    for k in range(count):
        template = TEMPLATES[k % len(TEMPLATES)]
        j = k // len(TEMPLATES)
        out.append(template.format(a=30 + 5 * j, u=2 + j, d=5 + j, r=0.2 + 0.05 * j, e=50 + 10 * j))
    return out


def median_time(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--segments", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(tzinfo=None)
    today = now.date()
    context = Context()
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        started = time.perf_counter()
        seed_company(con, args.accounts, today - timedelta(days=365), today)
        write_snapshot(con, args.accounts, [today])
        record_scores(con, vector_score(inputs_at(con, today)), config_version=None,
                      at=now - timedelta(hours=1))  # fmt: skip
        con.execute(
            "INSERT INTO custom_fields VALUES ('accounts', 'plan_tier', 'text', 'Plan Tier', "
            "'L1', 'bench', now()::TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO custom_values SELECT 'accounts', account_id, 'plan_tier', "
            "['Starter', 'Pro', 'Business'][1 + CAST(hash(account_id) % 3 AS BIGINT)], "
            "NULL, NULL, NULL, 'L1', 'bench', now()::TIMESTAMP FROM accounts"
        )
        fields = catalogue(con, context)
        texts = filters(args.segments)
        for k, text in enumerate(texts):
            create_segment(con, f"Segment {k}", text, fields, segment_id=f"s{k:03d}",
                           at=now - timedelta(minutes=30))  # fmt: skip
        print(f"setup: {time.perf_counter() - started:.1f} s ({args.accounts:,} accounts)")

        clock = [now - timedelta(minutes=20)]

        def recompute() -> None:
            clock[0] += timedelta(seconds=1)
            refresh_membership(con, context, at=clock[0])

        first_started = time.perf_counter()
        first = refresh_membership(con, context, at=clock[0])
        first_seconds = time.perf_counter() - first_started
        steady = median_time(recompute, args.repeat)

        compiled = {f"s{k:03d}": compile_filter(t, fields) for k, t in enumerate(texts)}
        needed = set().union(*(fields_of(e.tree) for e in compiled.values()))
        gather_seconds = median_time(lambda: gather(con, today, needed, fields, context),
                                     args.repeat)  # fmt: skip
        table = gather(con, today, needed, fields, context)
        one_query = median_time(
            lambda: evaluate(con, compiled, today, fields, context, table=table), args.repeat
        )

        def duckdb_loop() -> int:
            cur = con.cursor()
            cur.register(FIELDS_TABLE, table)
            total = 0
            for expression in compiled.values():
                sql, params = filter_sql(expression)
                total += len(
                    cur.execute(
                        f"SELECT account_id FROM {FIELDS_TABLE} WHERE {sql}", params
                    ).fetchall()
                )
            cur.close()
            return total

        columns = columns_of(table, needed)

        ids = table.column("account_id")

        def numpy_loop() -> int:
            parts = []
            for key, expression in compiled.items():
                held = vector_evaluate(expression, columns=columns, rows=table.num_rows)
                rows = np.flatnonzero(held.values.astype(bool) & held.valid)
                parts.append(pa.table({"key": pa.array([key] * len(rows), pa.string()),
                                       "account_id": ids.take(pa.array(rows))}))  # fmt: skip
            return pa.concat_tables(parts).num_rows

        assert duckdb_loop() == numpy_loop() == first.members, "the three disagree"
        loop_seconds = median_time(duckdb_loop, args.repeat)
        numpy_seconds = median_time(numpy_loop, args.repeat)
        con.close()
    print(
        f"recompute {args.segments} segments over {args.accounts:,} accounts: "
        f"{steady:.2f} s median of {args.repeat} (goal <= 2 s: "
        f"{'met' if steady <= 2 else 'NOT met'}); first run, writing {first.entered:,} "
        f"memberships: {first_seconds:.2f} s"
    )
    print(f"  of it: gathering the fields {gather_seconds:.2f} s; the {args.segments} filters in "
          f"one query {one_query:.3f} s")  # fmt: skip
    print(
        f"  peers over the same fields: {args.segments} separate DuckDB queries "
        f"{loop_seconds:.3f} s ({loop_seconds / one_query:.1f}x the one query); NumPy mask per "
        f"segment {numpy_seconds:.3f} s ({numpy_seconds / one_query:.1f}x)"
    )


if __name__ == "__main__":
    main()
