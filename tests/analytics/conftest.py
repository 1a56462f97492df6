"""Fixtures: the hand-checked company in a real store, and one local Spark session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.analytics import Sources, local_spark, store_sources
from outsidein.store import connect
from tests.analytics.company import load_company

# Ibis's PySpark backend fetches results through pandas: PySpark 4.3 warns that pandas 3 is
# not fully supported, its toPandas() passes pandas 3 a deprecated ``copy`` keyword, and
# Ibis reads the deprecated ``future.infer_string`` option. None changes a value; the
# equivalence test checks every result that comes through.
SPARK_WARNINGS = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(
        "ignore:The 'future.infer_string' option is deprecated:DeprecationWarning"
    ),
]


@pytest.fixture(scope="module")
def company_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding the hand-checked company (shared read-only by a module)."""
    folder = tmp_path_factory.mktemp("company")
    path = folder / "outsidein.duckdb"
    con = connect(path)
    load_company(con, folder / "files")
    con.close()
    return path


@pytest.fixture
def con(company_store: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(company_store, read_only=True)
    yield con
    con.close()


@pytest.fixture
def sources(con: duckdb.DuckDBPyConnection) -> Sources:
    return store_sources(con)


@pytest.fixture
def writable(company_store: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private copy of the company store that a test may write to."""
    path = tmp_path / "outsidein.duckdb"
    shutil.copy(company_store, path)
    con = connect(path)
    yield con
    con.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local-mode Spark session for every Spark test (start-up costs ~10 s)."""
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime: apt-get install openjdk-17-jre-headless")
    session = local_spark(cores=2, shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
