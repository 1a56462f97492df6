"""The daily per-account snapshot: time and peak memory against a floor and against pandas.

One run generates an event lake (Parquet, in chunks, so any size fits in memory), then
measures, each phase in a fresh process (peak RSS is that process's alone):

* floor    DuckDB reads the events Parquet and groups it by account and day (count only);
* ours     the whole daily snapshot (``account_daily_metrics``: 7/28/90-day windows, distinct
           users, key features, stickiness, trends, MRR, seats...) from the same Parquet,
           written to a DuckDB file: the Ibis pipeline on DuckDB;
* sample   ours again on a sample of accounts, and pandas doing the same usage computation
           (same algorithm, vectorised) on that sample; values are checked equal. The
           sample is a lake of its own (``lake/sample``, written once, not timed): both
           read just its events, as they would a sample exported for the comparison;
* store    events bulk-inserted into a store (not timed), ``build_snapshot`` there (timed:
           it also writes the per-day rollups), then 1M new events appended and
           ``update_snapshot`` timed: the incremental path.

    .venv/bin/python bench/bench_snapshot.py --events 20000000 --accounts 10000 --months 12

Ratios printed: ours / floor (goal <= 2), pandas / ours per event on the sample (goal >= 10),
incremental seconds (goal <= 5), peak memory (goal <= 4 GB).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EVENTS = np.array(
    ["Login", "Dashboard Viewed", "Report Created", "Export Run", "Search Performed",
     "Comment Added", "Report Shared", "Alert Configured", "Data Source Synced",
     "Workflow Automated", "User Invited", "Integration Connected"]
)  # fmt: skip
EVENT_P = np.array([20, 25, 10, 8, 8, 7, 6, 5, 4, 3, 2, 2], dtype=float)
KEY_FEATURES = ["Report Created", "Export Run", "Alert Configured", "Workflow Automated"]
CONFIG: dict[str, Any] = {
    "currency_rates": {"EUR": "1.08", "GBP": "1.27"},
    "key_features": KEY_FEATURES,
    "value_event": "Report Created",
}
EVENTS_PER_USER_DAY = 15
MB = 1024 * 1024
AS_OF = date(2025, 7, 1)  # the day after the last generated day


# --- data ---------------------------------------------------------------------------------


def generate(lake: Path, events: int, accounts: int, months: int, sample: int) -> date:
    """Write accounts, subscriptions and ``events`` events (chunk per month) to ``lake``."""
    rng = np.random.default_rng(42)
    as_of = AS_OF
    first = _months_before(as_of, months)
    days = (as_of - first).days
    ids = pa.array([f"ACC-{i:06d}" for i in range(accounts)])
    users = np.minimum(1 + rng.lognormal(2.8, 0.8, accounts).astype(np.int64), 2000)
    offsets = np.concatenate([[0], np.cumsum(users)[:-1]])
    weight = rng.lognormal(0, 1, accounts) * users
    weight /= weight.sum()
    created = np.datetime64(first) - rng.integers(1, 900, accounts).astype("timedelta64[D]")
    pq.write_table(
        pa.table(
            {
                "account_id": ids,
                "name": pa.array([f"Account {i}" for i in range(accounts)]),
                "segment": pa.array(["sample" if i < sample else "rest" for i in range(accounts)]),
                "created_at": pa.array(created.astype("datetime64[us]")),
            }
        ),
        lake / "accounts.parquet",
    )
    currency = rng.choice(["USD", "EUR", "GBP"], accounts, p=[0.6, 0.25, 0.15])
    pq.write_table(
        pa.table(
            {
                "subscription_id": pa.array([f"SUB-{i:06d}" for i in range(accounts)]),
                "account_id": ids,
                "plan": pa.array(["growth"] * accounts),
                "mrr": pa.array(
                    [Decimal(int(v)) / 100 for v in rng.integers(5_000, 900_000, accounts)],
                    pa.decimal128(18, 2),
                ),
                "currency": pa.array(currency),
                "seats": pa.array(users * 2, pa.int32()),
                "start_date": pa.array(created.astype("datetime64[D]")),
                "end_date": pa.array([None] * accounts, pa.date32()),
                "status": pa.array(["active"] * accounts),
            }
        ),
        lake / "subscriptions.parquet",
    )
    parts = lake / "events"
    parts.mkdir()
    per_day = events / days
    written, day0, index = 0, 0, 0
    chunk_days = max(1, days // months)
    while day0 < days:
        span = min(chunk_days, days - day0)
        want = events - written if day0 + span >= days else int(per_day * span)
        table = _chunk(rng, want, ids, users, offsets, weight, first, day0, span, written)
        pq.write_table(table, parts / f"part-{index:05d}.parquet", row_group_size=1_000_000)
        written += table.num_rows
        day0 += span
        index += 1
    return as_of


def _chunk(
    rng: np.random.Generator,
    want: int,
    ids: pa.Array,
    users: np.ndarray,
    offsets: np.ndarray,
    weight: np.ndarray,
    first: date,
    day0: int,
    span: int,
    id_base: int,
) -> pa.Table:
    """``want`` events over ``span`` days: user-days first, then ~15 events each."""
    user_days = max(1, want // EVENTS_PER_USER_DAY)
    acc = rng.choice(len(ids), user_days, p=weight)
    user = offsets[acc] + (rng.random(user_days) * users[acc]).astype(np.int64)
    day = day0 + rng.integers(0, span, user_days)
    counts = 1 + rng.poisson(EVENTS_PER_USER_DAY - 1, user_days)
    counts = np.maximum(1, (counts * want / counts.sum()).round().astype(np.int64))
    acc_e, user_e, day_e = (np.repeat(a, counts) for a in (acc, user, day))
    n = len(acc_e)
    base = np.datetime64(first, "us").astype(np.int64) + day_e * 86_400_000_000
    stamp = base + rng.integers(0, 86_400_000_000, n)
    order = np.argsort(stamp, kind="stable")
    names = pa.array(EVENTS)
    return pa.table(
        {
            "message_id": pa.array(np.arange(id_base, id_base + n, dtype=np.int64)),
            "account_id": pa.DictionaryArray.from_arrays(pa.array(acc_e[order], pa.int32()), ids),
            "user_id": pc.binary_join_element_wise(
                "U-", pa.array(user_e[order]).cast(pa.string()), ""
            ),
            "event": pa.DictionaryArray.from_arrays(
                pa.array(rng.choice(len(EVENTS), n, p=EVENT_P / EVENT_P.sum()), pa.int32()),
                names,
            ),
            "timestamp": pa.array(stamp[order], pa.timestamp("us")),
        }
    )


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


# --- phases (each runs in its own process) --------------------------------------------------


def _duck(path: Path, memory: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"memory_limit": memory})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def phase_floor(lake: Path, work: Path, memory: str) -> dict[str, Any]:
    con = _duck(work / "floor.duckdb", memory)
    started = time.perf_counter()
    con.execute(
        "CREATE TABLE per_day AS SELECT account_id, timestamp::DATE AS day, count(*) AS n "
        f"FROM read_parquet('{lake}/events/*.parquet') GROUP BY ALL"
    )
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM per_day").fetchall()[0][0]
    return {"seconds": seconds, "rows": rows}


def write_sample(lake: Path) -> Path:
    """The accounts of the ``sample`` segment, their subscriptions and events, as a lake."""
    sample = lake / "sample"
    if sample.exists():
        shutil.rmtree(sample)
    sample.mkdir()
    con = duckdb.connect()
    con.execute(
        f"CREATE TABLE picked AS SELECT * FROM read_parquet('{lake}/accounts.parquet') "
        "WHERE segment = 'sample'"
    )
    con.execute(f"COPY picked TO '{sample}/accounts.parquet' (FORMAT parquet)")
    for kind, source in (
        ("subscriptions", f"'{lake}/subscriptions.parquet'"),
        ("events", f"'{lake}/events/*.parquet'"),
    ):
        con.execute(
            f"COPY (SELECT * FROM read_parquet({source}) WHERE account_id IN "
            f"(SELECT account_id FROM picked)) TO '{sample}/{kind}.parquet' (FORMAT parquet)"
        )
    con.close()
    return sample


def phase_ours(
    lake: Path, work: Path, memory: str, first: str, last: str, label: str
) -> dict[str, Any]:
    import ibis

    from outsidein.analytics import AnalyticsConfig, daily_snapshot, lake_sources

    con = _duck(work / f"ours-{label}.duckdb", memory)
    backend = ibis.duckdb.from_connection(con)
    sources = lake_sources(backend, lake)
    config = AnalyticsConfig.model_validate(CONFIG)
    started = time.perf_counter()
    expr = daily_snapshot(sources, config, date.fromisoformat(first), date.fromisoformat(last))
    backend.create_table("account_daily_metrics", expr)
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM account_daily_metrics").fetchall()[0][0]
    return {"seconds": seconds, "rows": rows}


def phase_pandas(lake: Path, work: Path, first: str, last: str) -> dict[str, Any]:
    """The usage part of the snapshot in pandas on the sample accounts."""
    import pandas as pd

    sample = pq.read_table(lake / "accounts.parquet").to_pandas()
    started = time.perf_counter()
    table = pq.read_table(
        lake / "events.parquet", columns=["account_id", "user_id", "event", "timestamp"]
    )
    events = table.to_pandas()
    result = pandas_usage(events, sample, date.fromisoformat(first), date.fromisoformat(last), pd)
    seconds = time.perf_counter() - started
    result.to_parquet(work / "pandas.parquet")
    return {"seconds": seconds, "rows": len(result), "events": table.num_rows}


def pandas_usage(events: Any, accounts: Any, first: date, last: date, pd: Any) -> Any:
    """Windows 7/28/90 per account and day, the coverage algorithm of usage.py in pandas."""
    windows = (7, 28, 90)
    lookback = 2 * max(windows) - 1
    epoch = np.datetime64("1970-01-01", "D")
    f_day = int((np.datetime64(first) - epoch).astype(int))
    l_day = int((np.datetime64(last) - epoch).astype(int))
    ev = events.assign(
        account_id=events.account_id.astype(str),
        day=events.timestamp.values.astype("datetime64[D]").astype(np.int64),
    )
    ev = ev[ev.day <= l_day]
    created = accounts.created_at.values.astype("datetime64[D]").astype(np.int64)
    start = pd.Series(np.maximum(created, f_day), index=accounts.account_id.astype(str))
    ev = ev[ev.day >= ev.account_id.map(start) - lookback]
    ud = ev.groupby(["account_id", "user_id", "day"], observed=True).size().rename("n")
    ud = ud.reset_index().sort_values(["account_id", "user_id", "day"])
    ud["next_day"] = ud.groupby(["account_id", "user_id"], observed=True)["day"].shift(-1)
    grid = pd.MultiIndex.from_tuples(
        [(a, d) for a, s in start.items() for d in range(s - lookback, l_day + 1)],
        names=["account_id", "day"],
    )
    daily = ud.groupby(["account_id", "day"]).agg(events=("n", "sum"), dau=("n", "size"))
    dense = daily.reindex(grid, fill_value=0)
    keys = ev[ev.event.astype(str).isin(KEY_FEATURES)]
    kd = keys.groupby(["account_id", "event", "day"], observed=True).size().reset_index()
    kd = kd.sort_values(["account_id", "event", "day"])
    kd["next_day"] = kd.groupby(["account_id", "event"], observed=True)["day"].shift(-1)
    fstart = kd.groupby(["account_id", "day"]).size().reindex(grid, fill_value=0)
    by_account = dense.groupby(level="account_id")
    out = pd.DataFrame(index=grid)
    for w in windows:
        u_end = np.minimum(ud.day + w, ud.next_day.fillna(ud.day + w)).astype(np.int64)
        ends = ud.groupby([ud.account_id, u_end.rename("day")]).size().reindex(grid, fill_value=0)
        out[f"active_users_{w}"] = (dense.dau - ends).groupby(level="account_id").cumsum()
        k_end = np.minimum(kd.day + w, kd.next_day.fillna(kd.day + w)).astype(np.int64)
        kends = kd.groupby([kd.account_id, k_end.rename("day")]).size()
        kends = kends.reindex(grid, fill_value=0)
        out[f"key_features_used_{w}"] = (fstart - kends).groupby(level="account_id").cumsum()
        rolled = by_account.rolling(w, min_periods=1).sum().droplevel(0)
        out[f"events_{w}"] = rolled.events
        out[f"user_days_{w}"] = rolled.dau
        out[f"events_prev_{w}"] = out[f"events_{w}"].groupby(level="account_id").shift(w)
    active = dense.events.where(dense.events > 0).index.get_level_values("day")
    out["active_day"] = pd.Series(np.where(dense.events.to_numpy() > 0, active, np.nan), index=grid)
    out["last_activity_day"] = out.active_day.groupby(level="account_id").cummax()
    out = out.reset_index()
    return out[out.day >= out.account_id.map(start)].drop(columns="active_day")


def phase_store(
    lake: Path, work: Path, memory: str, first: str, last: str, new_events: int
) -> dict[str, Any]:
    """Bulk-load the lake into a store, build the snapshot, then update after new events."""
    from outsidein.analytics import AnalyticsConfig, build_snapshot, update_snapshot
    from outsidein.store import connect

    con = connect(work / "store.duckdb", memory_limit=memory)
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    con.execute(
        "INSERT INTO accounts (account_id, name, segment, created_at, source, loaded_at) "
        f"SELECT account_id, name, segment, created_at, 'bench', now()::TIMESTAMP "
        f"FROM read_parquet('{lake}/accounts.parquet')"
    )
    con.execute(
        "INSERT INTO subscriptions BY NAME "
        "SELECT *, 'bench' AS source, now()::TIMESTAMP AS loaded_at "
        f"FROM read_parquet('{lake}/subscriptions.parquet')"
    )
    con.execute(
        "INSERT INTO events SELECT message_id::VARCHAR, account_id, user_id, event, timestamp, "
        f"NULL, 'bench', TIMESTAMP '2025-07-01' FROM read_parquet('{lake}/events/*.parquet')"
    )
    load_seconds = time.perf_counter() - started
    config = AnalyticsConfig.model_validate(CONFIG)
    last_day = date.fromisoformat(last)
    started = time.perf_counter()
    build_snapshot(con, config, last_day, since=date.fromisoformat(first))
    build_seconds = time.perf_counter() - started
    # New events, as a loader appends them: the next day's activity, taken from existing
    # events re-dated to a time on the day after the snapshot's last day.
    tomorrow = last_day + timedelta(days=1)
    con.execute(
        "INSERT INTO events SELECT 'new-' || message_id, account_id, user_id, event, "
        f"TIMESTAMP '{tomorrow}' + to_microseconds((hash(message_id) % 86400000000)::BIGINT), "
        "NULL, 'bench', now()::TIMESTAMP "
        f"FROM read_parquet('{lake}/events/*.parquet') USING SAMPLE {new_events} ROWS"
    )
    started = time.perf_counter()
    result = update_snapshot(con, config, tomorrow)
    update_seconds = time.perf_counter() - started
    return {
        "load_seconds": load_seconds,
        "build_seconds": build_seconds,
        "update_seconds": update_seconds,
        "update_rows": result.rows,
        "update_accounts": result.accounts,
        "new_events": result.new_events,
    }


def _run_phase(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    result = func(*args)
    result["peak_mb"] = _peak_mb()
    return result


def _peak_mb() -> float:
    """This process's peak RSS. Linux's VmHWM starts afresh at exec; ru_maxrss would carry
    over the parent's peak (here: the generator's), so it is only the fallback."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run a phase in a fresh process; its result plus that process's peak RSS (MB)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_run_phase, func, *args).result()


def phase(label: str, func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    result = measured(func, *args)
    print(f"{label}: {json.dumps(result, default=str)}", flush=True)
    return result


def check_sample(work: Path) -> int:
    """pandas and ours agree on the sample: returns the number of cells compared."""
    con = duckdb.connect(str(work / "ours-sample.duckdb"), read_only=True)
    ours = con.sql("SELECT * FROM account_daily_metrics").to_arrow_table()
    con.close()
    theirs = pq.read_table(work / "pandas.parquet")
    epoch = date(1970, 1, 1)
    mine = {(r["account_id"], (r["date"] - epoch).days): r for r in ours.to_pylist()}
    compared = 0
    for row in theirs.to_pylist():
        other = mine[(row["account_id"], row["day"])]
        for w in (7, 28, 90):
            for name in ("active_users", "events", "key_features_used"):
                assert other[f"{name}_{w}"] == row[f"{name}_{w}"], (name, w, row, other)
                compared += 1
        last_day = row["last_activity_day"]
        if last_day == last_day and last_day is not None:  # not NaN
            assert (other["last_activity_date"] - epoch).days == int(last_day), row
    assert len(mine) == theirs.num_rows
    return compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--sample-accounts", type=int, default=2000)
    parser.add_argument("--new-events", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory limit")
    parser.add_argument("--workdir", type=Path, default=None, help="kept if given")
    parser.add_argument(
        "--reuse-lake",
        action="store_true",
        help="with --workdir: keep a lake generated earlier with the same sizes",
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="with --workdir: write the lake, stop"
    )
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    lake = work / "lake"
    sizes = json.dumps([args.events, args.accounts, args.months, args.sample_accounts])
    marker = work / "lake-sizes.json"
    for old in work.glob("*.duckdb*"):
        old.unlink()
    if args.reuse_lake and marker.exists() and marker.read_text() == sizes:
        as_of = AS_OF
        print(f"reusing the lake in {lake} ({_size(lake / 'events')})", flush=True)
    else:
        if lake.exists():
            shutil.rmtree(lake)
        marker.unlink(missing_ok=True)
        lake.mkdir(parents=True)
        started = time.perf_counter()
        as_of = generate(lake, args.events, args.accounts, args.months, args.sample_accounts)
        marker.write_text(sizes)
        print(f"generated {args.events:,} events, {args.accounts:,} accounts, {args.months} "
              f"months in {time.perf_counter() - started:.0f} s ({_size(lake / 'events')})",
              flush=True)  # fmt: skip
    first = _months_before(as_of, args.months).isoformat()
    last = (as_of - timedelta(days=1)).isoformat()
    mem = args.memory_limit

    if args.generate_only:
        return
    floor = phase("floor", phase_floor, lake, work, mem)
    ours = phase("ours", phase_ours, lake, work, mem, first, last, "all")
    sample = write_sample(lake)
    ours_sample = phase("ours on the sample", phase_ours, sample, work, mem, first, last, "sample")
    pandas = phase("pandas on the sample", phase_pandas, sample, work, first, last)
    compared = check_sample(work)
    store = phase("store", phase_store, lake, work, mem, first, last, args.new_events)

    per_event_ours = ours_sample["seconds"] / pandas["events"]
    per_event_pandas = pandas["seconds"] / pandas["events"]
    report = {
        "events": args.events,
        "accounts": args.accounts,
        "months": args.months,
        "floor": floor,
        "ours": ours,
        "ours_sample": ours_sample,
        "pandas_sample": pandas,
        "store": store,
    }
    (work / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print(
        f"\nsnapshot ({ours['rows']:,} account-days) over {args.events:,} events, "
        f"{args.accounts:,} accounts, {args.months} months, DuckDB memory limit {mem}:"
    )
    print(
        f"  floor (read + group by account, day): {floor['seconds']:7.1f} s "
        f"{floor['peak_mb']:7.0f} MB"
    )
    print(
        f"  ours (whole snapshot from Parquet):  {ours['seconds']:7.1f} s "
        f"{ours['peak_mb']:7.0f} MB   ratio to floor {ours['seconds'] / floor['seconds']:.2f}x "
        "(goal <= 2)"
    )
    print(
        f"  sample of {args.sample_accounts} accounts ({pandas['events']:,} events): ours "
        f"{ours_sample['seconds']:.1f} s, pandas {pandas['seconds']:.1f} s "
        f"({pandas['peak_mb']:.0f} MB): pandas / ours = "
        f"{per_event_pandas / per_event_ours:.1f}x (goal >= 10); {compared:,} values equal"
    )
    print(
        f"  store: bulk insert {store['load_seconds']:.1f} s (not the loader), build_snapshot "
        f"{store['build_seconds']:.1f} s, peak {store['peak_mb']:.0f} MB"
    )
    print(f"  incremental after {store['new_events']:,} new events: "
          f"{store['update_seconds']:.1f} s ({store['update_rows']:,} rows for "
          f"{store['update_accounts']:,} accounts) (goal <= 5 s)")  # fmt: skip
    if args.workdir is None:
        shutil.rmtree(work)


def _size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return f"{total / MB:,.0f} MB"


if __name__ == "__main__":
    main()
