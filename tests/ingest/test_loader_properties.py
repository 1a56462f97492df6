"""Property: whatever the rows, each lands or is rejected with its line; nothing is lost.

A date column whose every value reads as both M/D/YYYY and D/M/YYYY refuses the whole file
(docs/loading.md): then nothing at all is written.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outsidein.errors import LoadError
from outsidein.ingest import load_file
from outsidein.store import connect

values = st.one_of(
    st.just(""),
    st.sampled_from(["100", "0", "-5", "12.345", "1e3", "abc", " 7 ", "NaN"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=8),
)
dates = st.sampled_from(["2024-01-05", "2024-02-30", "", "2999-01-01", "05/01/2024", "2024-03-01"])
row = st.tuples(
    st.sampled_from(["s1", "s2", "s3", "s4", ""]),
    st.sampled_from(["a1", "a2", "nope", ""]),
    st.sampled_from(["growth", "", "Starter"]),
    values,
    dates,
    dates,
    st.sampled_from(["active", "ended", "Active", "bogus", ""]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=12))
def test_every_row_lands_or_is_rejected(rows: list[tuple[str, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        con = connect(folder / "s.duckdb")
        con.execute(
            "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) VALUES "
            "('a1', 'A', '2024-01-01', 't', now()::TIMESTAMP), "
            "('a2', 'B', '2024-01-01', 't', now()::TIMESTAMP)"
        )
        path = folder / "subs.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["subscription_id", "account_id", "plan", "mrr", "start_date", "end_date", "status"]
            )
            writer.writerows(rows)
        try:
            result = load_file(con, "subscriptions", path)
        except LoadError as exc:
            assert "05/01/2024 could be M/D/YYYY or D/M/YYYY" in exc.message
            column = 4 if "column start_date" in exc.message else 5
            values = [r[column] for r in rows]
            iso = sum(v in ("2024-01-05", "2999-01-01", "2024-03-01") for v in values)
            assert values.count("05/01/2024") > iso, rows  # the slash shape read the most
            assert con.execute("SELECT count(*) FROM load_log").fetchall() == [(0,)]
            con.close()
            return
        assert result.rows_read == len(rows)
        assert result.rows_inserted + result.rows_rejected == len(rows)
        rejected_lines = {
            line for (line,) in con.execute("SELECT DISTINCT line FROM rejects").fetchall()
        }
        assert len(rejected_lines) == result.rows_rejected
        stored = con.execute(
            "SELECT subscription_id, account_id, mrr FROM subscriptions"
        ).fetchall()
        assert len(stored) == result.rows_inserted
        for subscription_id, account_id, mrr in stored:
            assert account_id in {"a1", "a2"} and mrr >= 0 and subscription_id
        con.close()
        check = duckdb.connect(str(folder / "s.duckdb"))
        assert check.execute("SELECT count(*) FROM load_log").fetchall() == [(1,)]
        check.close()
