"""One small simulated company shared by the sim tests (200 accounts, 12 months)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from outsidein.sim import SimulationSummary, simulate

AS_OF = date(2025, 7, 1)
ACCOUNTS = 200
MONTHS = 12
SEED = 11


def run(out: Path, seed: int = SEED, **kwargs: object) -> SimulationSummary:
    """Simulate the test company into ``out``."""
    params: dict[str, object] = {"accounts": ACCOUNTS, "months": MONTHS, "as_of": AS_OF}
    params.update(kwargs)
    return simulate(out, seed=seed, events_per_part=20_000, **params)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return run(tmp_path_factory.mktemp("sim") / "company")


@pytest.fixture
def con(company: SimulationSummary) -> duckdb.DuckDBPyConnection:
    """DuckDB views over the simulated files: one per kind, plus gt_accounts and gt_health."""
    db = duckdb.connect()
    for kind, path in company.paths.items():
        source = f"{path}/*.parquet" if kind == "events" else str(path)
        db.execute(f"CREATE VIEW {kind} AS SELECT * FROM read_parquet('{source}')")
    gt = company.ground_truth
    db.execute(f"CREATE VIEW gt_accounts AS SELECT * FROM read_parquet('{gt['accounts']}')")
    db.execute(f"CREATE VIEW gt_health AS SELECT * FROM read_parquet('{gt['health']}')")
    return db
