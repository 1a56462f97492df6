"""The store: migrations upgrade old files, specs match tables, locks give a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from outsidein.errors import SchemaVersionError, StoreLockedError
from outsidein.ingest import load_file
from outsidein.precedence import TRACKED_TABLES
from outsidein.store import LATEST_VERSION, TABLES, connect, current_version, migrate
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

DUCKDB_TYPES = {
    "text": "VARCHAR",
    "int": "INTEGER",
    "decimal": "DECIMAL(18,2)",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "json": "JSON",
    "bool": "BOOLEAN",
}


def test_file_made_by_schema_version_1_opens_and_upgrades(tmp_path: Path) -> None:
    path = tmp_path / "v1.duckdb"
    old = duckdb.connect(str(path))
    assert migrate(old, target=1) == [1]
    old.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "VALUES ('a1', 'Acme', '2024-01-01', 'old', '2024-01-02')"
    )
    old.close()

    con = connect(path)
    assert current_version(con) == LATEST_VERSION >= 2
    assert con.execute("SELECT name FROM accounts").fetchall() == [("Acme",)]
    assert con.execute("SELECT count(*) FROM external_ids").fetchone() == (0,)
    result = load_file(con, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    assert result.rows_inserted == 2 and result.rows_updated == 1
    assert con.execute("SELECT mapping FROM load_log").fetchone() == ("{}",)


def test_reopening_applies_nothing(db_path: Path) -> None:
    connect(db_path).close()
    con = duckdb.connect(str(db_path))
    assert migrate(con) == []


def test_newer_schema_is_refused(db_path: Path) -> None:
    connect(db_path).close()
    con = duckdb.connect(str(db_path))
    con.execute("INSERT INTO schema_version VALUES (999, 'future', now()::TIMESTAMP)")
    with pytest.raises(SchemaVersionError, match="newer than this Outside-In knows"):
        migrate(con)


def test_table_specs_match_the_migrated_schema(store: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES.values():
        described = store.execute(f'DESCRIBE "{table.name}"').fetchall()
        db_columns = {name: kind for name, kind, *_ in described}
        provenance = {"field_sources"} if table.name in TRACKED_TABLES else set()
        expected = {*table.column_names, "source", "loaded_at", *provenance}
        assert set(db_columns) == expected, table.name
        for col in table.columns:
            assert db_columns[col.name] == DUCKDB_TYPES[col.type], (table.name, col.name)


def test_store_held_by_another_process_gives_a_clear_error(db_path: Path) -> None:
    connect(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(db_path)!r}); print('ready', flush=True);"
            " sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=rf"in use by process {holder.pid}"):
            connect(db_path)
    finally:
        holder.kill()
        holder.communicate()
