"""A company with a daily snapshot and health history over 60 days, in a real store file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.health.engine import score
from outsidein.health.history import record_scores
from outsidein.health.inputs import inputs_at
from outsidein.health.service import to_scored
from outsidein.settings.health import HealthConfig
from outsidein.store import connect
from tests.web.conftest import NOW, TODAY, seed_company

HISTORY_DAYS = 60
SCORE_DAYS = [TODAY - timedelta(days=d) for d in (60, 45, 30, 15, 0)]


def score_time(day: object) -> datetime:
    """When the health history was recorded on a scoring day: 06:00, before the segment step
    (noon); today no later than now."""
    assert isinstance(day, type(TODAY))
    return min(datetime.combine(day, time(6)), NOW - timedelta(seconds=2))


def add_custom_fields(con: duckdb.DuckDBPyConnection) -> None:
    """``plan_tier`` (text) on every account, as a load of an accounts file with that column
    keeps it: Pro for every third account, Business for every fifth, else Starter; one risky
    name for the CSV export."""
    now = NOW
    con.execute(
        "INSERT INTO custom_fields VALUES ('accounts', 'plan_tier', 'text', 'Plan Tier', 'L1', "
        "'test', ?)",
        [now],
    )
    con.execute(
        """
        INSERT INTO custom_values
        SELECT 'accounts', account_id, 'plan_tier',
               CASE WHEN n % 3 = 0 THEN 'Pro' WHEN n % 5 = 0 THEN 'Business' ELSE 'Starter' END,
               NULL, NULL, NULL, 'L1', 'test', ?
        FROM (SELECT account_id, CAST(substr(account_id, 3) AS INTEGER) AS n FROM accounts)
        """,
        [now],
    )


def build_store(path: Path) -> Path:
    """seed_company (120 accounts, events over 90 days) with its snapshot over the last
    ``HISTORY_DAYS`` days, health scored on each of ``SCORE_DAYS`` and a custom field."""
    seed_company(path)
    con = connect(path)
    try:
        build_snapshot(con, AnalyticsConfig(), TODAY, since=TODAY - timedelta(days=HISTORY_DAYS))
        for day in SCORE_DAYS:
            scored = to_scored(score(inputs_at(con, day), HealthConfig()))
            record_scores(con, scored, config_version=None, at=score_time(day))
        add_custom_fields(con)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store file, built once per module (tests copy it before writing)."""
    return build_store(tmp_path_factory.mktemp("segments") / "company.duckdb")


@pytest.fixture
def con(company: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a copy of the module's store: each test writes its own."""
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(company.read_bytes())
    connection = connect(copy)
    yield connection
    connection.close()
