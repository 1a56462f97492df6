"""One small simulated company with churn and expansion models trained, shared per session.

Building it (simulate 300 accounts x 24 months, load, snapshot, train two targets, score)
takes ~35 s; the operations, CLI and web tests each copy the file instead of rebuilding it.
"""

from __future__ import annotations

import shutil
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from outsidein.analytics import build_snapshot
from outsidein.config import OutsideInConfig
from outsidein.ingest import load_directory
from outsidein.predict import service
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.sim import simulate
from outsidein.sim.settings import company_config
from outsidein.store import connect

AS_OF = datetime.now(UTC).date()  # current: a server's snapshot step has nothing to add
OBSERVATIONS = 14
FOLDS = 3


def analytics() -> AnalyticsConfig:
    return OutsideInConfig.model_validate(tomllib.loads(company_config())).analytics


def _build(folder: Path) -> Path:
    company = simulate(
        folder / "company",
        accounts=300,
        months=24,
        seed=5,
        as_of=AS_OF,
        events_per_user_day=0.05,
        events_per_part=1_000_000,
    )
    path = folder / "untrained.duckdb"
    con = connect(path)
    try:
        load_directory(con, company.out)
        build_snapshot(con, analytics(), AS_OF, since=date(AS_OF.year - 2, AS_OF.month, 1))
    finally:
        con.close()
    (folder / "company" / "outsidein.toml").write_text(company_config())
    trained = folder / "trained.duckdb"
    shutil.copy(path, trained)
    con = connect(trained)
    try:
        days = service.observation_days(service.last_snapshot_day(con), OBSERVATIONS)
        data = service.build_dataset(con, days, config=analytics())
        for target in ("churn", "expansion"):
            service.train_version(con, target, observations=OBSERVATIONS, folds=FOLDS, dataset=data)
        service.score_accounts(con, config=analytics())
    finally:
        con.close()
    return folder


def predict_world(factory: pytest.TempPathFactory, name: str) -> tuple[Path, Path]:
    """(a copy of the trained store, a copy of the same store untrained) for one module."""
    base = factory.getbasetemp() / "predict-world"
    if not (base / "trained.duckdb").exists():
        base.mkdir(exist_ok=True)
        _build(base)
    mine = factory.mktemp(name)
    for file in ("trained.duckdb", "untrained.duckdb"):
        shutil.copy(base / file, mine / file)
    return mine / "trained.duckdb", mine / "untrained.duckdb"


def config_file(factory: pytest.TempPathFactory) -> Path:
    return factory.getbasetemp() / "predict-world" / "company" / "outsidein.toml"
