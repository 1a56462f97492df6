"""The accounts list at scale: "last seen" from the summary vs aggregated from every event.

Builds a store with ``--events`` events over ``--accounts`` accounts (bulk SQL inserts, not
the loader, in loads of 10M events each), then times one page of ``list_accounts`` (50
rows, sorted by name and by last seen) and one account page, each as the median of 5:

* peer: "last seen" aggregated from every event, as the list did before the summary;
* ours: the ``account_last_seen`` summary merged with the events loaded after its mark,
  after one refresh (timed too), and again with 10,000 events newer than the summary.

Both answers are checked equal.

    .venv/bin/python bench/bench_accounts.py --events 100000000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from outsidein.analytics import AnalyticsConfig
from outsidein.store import connect
from outsidein.store.last_seen import refresh_last_seen
from outsidein.web.queries import accounts as queries

LOAD = 10_000_000
CONFIG = AnalyticsConfig()


def build(path: Path, events: int, accounts: int) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    con.execute("SET enable_progress_bar = false")
    con.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "SELECT 'acct-' || i, 'Account ' || i, TIMESTAMP '2024-01-01', 'bench', now()::TIMESTAMP "
        f"FROM range({accounts}) t(i)"
    )
    for first in range(0, events, LOAD):
        n = min(LOAD, events - first)
        con.execute(
            "INSERT INTO events SELECT 'm-' || i, 'acct-' || (hash(i) % $accounts), "
            "'u-' || (hash(i + 1) % 50000), 'Login', TIMESTAMP '2025-01-01' + "
            "to_seconds((hash(i + 2) % 31536000)::BIGINT), NULL, 'bench', "
            "TIMESTAMP '2025-06-01' + to_seconds($load::BIGINT) "
            "FROM range($first, $first + $n) t(i)",
            {"accounts": accounts, "load": first // LOAD, "first": first, "n": n},
        )
    return con


def median_time(func: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def by_full_scan(con: duckdb.DuckDBPyConnection) -> Callable[..., Any]:
    """The list as it was: the same query, with last seen aggregated from every event."""
    figures = queries._FIGURES
    old = figures[: figures.index("seen AS (")] + (
        'seen AS (SELECT account_id, max("timestamp") AS last_seen FROM events '
        "WHERE $mark IS NOT NULL GROUP BY account_id)\n"
    )

    def page(**kwargs: Any) -> Any:
        queries._FIGURES = old
        try:
            return queries.list_accounts(con, CONFIG, **kwargs)
        finally:
            queries._FIGURES = figures

    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        con = build(Path(tmp) / "store.duckdb", args.events, args.accounts)
        print(f"{args.events:,} events, {args.accounts:,} accounts "
              f"(built in {time.perf_counter() - started:.0f} s)")  # fmt: skip
        full = by_full_scan(con)
        rows: list[tuple[str, float, float]] = []
        for label, kwargs in (
            ("page sorted by name", {}),
            ("page sorted by last seen", {"sort": "last_seen", "order": "desc"}),
        ):
            peer, expected = median_time(lambda kw=kwargs: full(**kw))  # type: ignore[misc]
            if not rows:
                refresh, _ = median_time(lambda: refresh_last_seen(con), repeat=1)
            ours, got = median_time(lambda kw=kwargs: queries.list_accounts(con, CONFIG, **kw))  # type: ignore[misc]
            assert got == expected, (label, got.items[:2], expected.items[:2])
            rows.append((label, peer, ours))
        con.execute(
            "INSERT INTO events SELECT 'new-' || i, 'acct-' || (i % $accounts), 'u-1', 'Login', "
            "TIMESTAMP '2026-01-01' + to_seconds(i), NULL, 'bench', now()::TIMESTAMP "
            "FROM range(10000) t(i)",
            {"accounts": args.accounts},
        )
        peer, expected = median_time(lambda: full())
        ours, got = median_time(lambda: queries.list_accounts(con, CONFIG))
        assert got == expected
        rows.append(("page with 10,000 events newer than the summary", peer, ours))
        print(f"first refresh of the summary over every event: {refresh:.2f} s")
        print(f"{'one page of 50 accounts':<48} {'every event':>12} {'summary':>9} {'ratio':>7}")
        for label, peer, ours in rows:
            print(f"{label:<48} {peer * 1000:>9.0f} ms {ours * 1000:>6.0f} ms {peer / ours:>6.0f}x")
        con.close()


if __name__ == "__main__":
    main()
