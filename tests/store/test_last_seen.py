"""The accounts' "last seen" summary: exact before and after every refresh, on real files."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.store.last_seen import (
    BEFORE_ANY_LOAD,
    last_seen_mark,
    last_seen_sql,
    refresh_last_seen,
)
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

EVENT_HEADER = ["message_id", "account_id", "user_id", "event", "timestamp"]


def by_summary(con: duckdb.DuckDBPyConnection, where: str = "") -> dict[str, datetime]:
    params = {"mark": last_seen_mark(con), **({"id": "a2"} if where else {})}
    return dict(con.execute(last_seen_sql(where=where), params).fetchall())


def by_scan(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    rows = con.execute('SELECT account_id, max("timestamp") FROM events GROUP BY ALL')
    return dict(rows.fetchall())


def test_the_summary_is_exact_between_and_after_refreshes(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    load_file(con, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    assert refresh_last_seen(con) == 0 and last_seen_mark(con) == BEFORE_ANY_LOAD
    assert by_summary(con) == {}

    rng = random.Random(5)
    start = datetime(2024, 6, 1)
    for batch in range(8):
        # Each load mixes late events (earlier than what is summarised) with newer ones.
        rows = [
            [f"m{batch}-{i}", rng.choice(["a1", "a2", "a3"]), f"u{i % 4}", "Login",
             (start + timedelta(hours=rng.randint(-500, 500 + 50 * batch))).isoformat(" ")]
            for i in range(rng.randint(1, 40))
        ]  # fmt: skip
        load_file(con, "events", write_csv(tmp_path / f"e{batch}.csv", EVENT_HEADER, rows))
        assert by_summary(con) == by_scan(con)  # the newer events come from the table itself
        if batch % 3 != 2:  # some loads are summarised, some wait for the next refresh
            refresh_last_seen(con)
            assert (
                last_seen_mark(con)
                == con.execute("SELECT max(loaded_at) FROM events").fetchall()[0][0]
            )
            assert by_summary(con) == by_scan(con)
            stored = dict(con.execute("SELECT * FROM account_last_seen").fetchall())
            assert stored == by_scan(con)
    assert by_summary(con, "account_id = $id") == {"a2": by_scan(con)["a2"]}
    assert refresh_last_seen(con) == 0  # nothing new
    con.close()
