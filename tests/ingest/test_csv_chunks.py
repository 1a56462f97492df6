"""CSV read in chunks: every row keeps its physical line, across chunk boundaries."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from outsidein.ingest import csv_chunks, load_file
from outsidein.ingest.reasons import problem_only


@pytest.mark.parametrize("chunk_bytes", [16, 64, 1 << 20])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_lines_survive_blank_lines_bad_rows_and_chunking(
    store: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk_bytes: int,
    newline: str,
) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", chunk_bytes)
    lines = [
        "account_id,name,created_at",  # 1
        "a1,Acme,2024-01-01",  # 2
        "",  # 3 blank
        "a2,Beta,2024-01-01,surplus",  # 4 too many fields
        "a3,Gamma,2024-01-01",  # 5
        "",  # 6 blank
        "",  # 7 blank
        "a4,Delta,not-a-date",  # 8 bad value
        "a5",  # 9 too few fields
        'a6,"Epsilon, Inc.",2024-01-01',  # 10 quoted delimiter
    ]
    path = tmp_path / "accounts.csv"
    path.write_bytes(newline.join(lines).encode())  # no final line break
    result = load_file(store, "accounts", path)
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (6, 3, 3)
    rejected = [
        (line, problem_only(reason))
        for line, reason in store.execute(
            "SELECT line, reason FROM rejects ORDER BY line"
        ).fetchall()
    ]
    assert rejected == [
        (4, "expected 3 fields, found 4"),
        (8, "not a timestamp (ISO 8601, e.g. 2024-05-01T09:30:00Z)"),
        (9, "expected 3 fields, found 1"),
    ]
    names = store.execute("SELECT account_id, name FROM accounts ORDER BY 1").fetchall()
    assert names == [("a1", "Acme"), ("a3", "Gamma"), ("a6", "Epsilon, Inc.")]


def test_gzipped_csv(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("account_id,name,created_at\na1,Acme,2024-01-01\n")
    assert load_file(store, "accounts", path).rows_inserted == 1
