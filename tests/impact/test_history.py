"""Past firings from a file: added once, and a file that is not one is named with the fix."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from outsidein.errors import LoadError
from outsidein.impact import estimate_all, import_firings


def _firings(path: Path, drop: str | None = None) -> Path:
    table = pa.table(
        {
            "firing_id": ["F-1", "F-2"],
            "account_id": ["A-1", "A-2"],
            "playbook": ["kickoff", "kickoff"],
            "playbook_version": pa.array([1, 1], pa.int32()),
            "variant": ["default", "default"],
            "reason": ["imported", "imported"],
            "context": [None, '{"note": "from the CRM"}'],
            "held_out": [False, True],
            "actions": pa.array([1, 0], pa.int32()),
            "fired_at": [datetime(2026, 3, 1, 9), datetime(2026, 3, 1, 9)],
        }
    )
    if drop:
        table = table.drop_columns([drop])
    pq.write_table(table, path)
    return path


def test_import_adds_each_firing_once(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _firings(tmp_path / "f.parquet")
    assert import_firings(store, path) == 2
    assert import_firings(store, path) == 0
    rows = store.execute("SELECT firing_id, held_out FROM playbook_firings ORDER BY 1").fetchall()
    assert rows == [("F-1", False), ("F-2", True)]


def test_a_file_without_a_column_is_named_with_what_it_needs(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = _firings(tmp_path / "f.parquet", drop="held_out")
    with pytest.raises(LoadError, match=r"f\.parquet: required column held_out missing"):
        import_firings(store, path)
    with pytest.raises(LoadError, match="no such file of firings"):
        import_firings(store, tmp_path / "nope.parquet")


def test_no_firings_no_estimates_and_an_unknown_play_is_a_clean_error(
    db_path: Path, store: duckdb.DuckDBPyConnection
) -> None:
    assert estimate_all(store) == []
    store.close()
    result = subprocess.run(
        [sys.executable, "-m", "outsidein", "impact", "show", "nope", "--db", str(db_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    said = " ".join(result.stderr.split())
    assert "error: playbook 'nope' has no firings to estimate from" in said
    assert "Traceback" not in result.stderr
