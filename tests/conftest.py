"""Shared fixtures: real DuckDB store files in temporary folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from outsidein.store import connect


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "outsidein.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(db_path)
    yield con
    con.close()
