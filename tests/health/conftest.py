"""A small company whose health inputs are known by hand, in a real store file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.health.history import Scored
from outsidein.store import connect
from outsidein.store.tables import TABLES
from tests.web.conftest import TODAY

CONFIG = AnalyticsConfig(key_features=["login"], value_event="login")
D = TODAY - timedelta(days=40)  # the day the inputs are asked for
END = datetime.combine(D, datetime.min.time()) + timedelta(days=1)  # the end of D


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[Any, ...]]) -> None:
    """INSERTs of the table's first canonical columns, loaded now (watermarks move)."""
    columns = [*TABLES[table].column_names[: len(rows[0])], "source", "loaded_at"]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * len(columns))
    loaded = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        f"INSERT INTO {table} ({names}) VALUES ({marks})", [(*r, "test", loaded) for r in rows]
    )


def at(days: float, hours: float = 0) -> datetime:
    """``days`` after the start of D (negative: before), plus ``hours``."""
    return END - timedelta(days=1) + timedelta(days=days, hours=hours)


def on(days: int) -> date:
    return D + timedelta(days=days)


def seed(con: duckdb.DuckDBPyConnection) -> None:
    """A-1 pays on an annual contract, with usage, cases and surveys; A-2 churned; A-3 is a
    prospect with no snapshot row (created after the snapshot's first day, no events)."""
    # fmt: off
    insert(con, "accounts", [
        ("A-1", "One", None, "Software", "Enterprise", "NA", 10, None, at(-400)),
        ("A-2", "Two", None, "Retail", "SMB", "NA", 10, None, at(-400)),
        ("A-3", "Three", None, "Retail", "SMB", "NA", 10, None, at(-1)),
    ])
    insert(con, "contracts", [("C-1", "A-1", on(-300), 12, "annual", True, None)])
    insert(con, "subscriptions", [
        ("S-1", "A-1", "Pro", 1000, "USD", 10, on(-300), None, "active", "C-1"),
        ("S-2", "A-2", "Pro", 500, "USD", 5, on(-300), on(-10), "churned", None),
    ])
    insert(con, "events", [
        (f"e{i}", "A-1", f"u{i % 3}", "login", at(-i, 1), None) for i in range(10)
    ] + [(f"old{i}", "A-1", "u0", "login", at(-i, 1), None) for i in (35, 100, 150)])
    insert(con, "cases", [
        # open at D, urgent, SLA 4 h passed 2 days ago: open, urgent, breached
        ("K-1", "A-1", None, at(-2), None, "urgent", 4.0, "open", "support", None),
        # closed within its SLA: not open, not breached
        ("K-2", "A-1", None, at(-20), at(-20, 2), "normal", 24.0, "closed", "support", None),
        # closed late, 10 days ago: breached, not open
        ("K-3", "A-1", None, at(-15), at(-10), "high", 8.0, "solved", "support", None),
        # breached 200 days ago: outside the 90-day window
        ("K-4", "A-1", None, at(-200), at(-190), "high", 8.0, "closed", "support", None),
        # open, SLA not yet run out at the end of D
        ("K-5", "A-1", None, at(0, 20), None, "normal", 48.0, "pending", "support", None),
    ])
    insert(con, "survey_responses", [
        ("R-1", "A-1", None, "NPS", at(-100), "nps", 3.0, None, None, None, None),
        ("R-2", "A-1", None, "NPS", at(-30), "nps", 9.0, None, None, None, None),
        ("R-3", "A-1", None, "NPS", at(-400), "nps", 0.0, None, None, None, None),
        ("R-4", "A-1", None, "Case", at(-5), "csat", 4.0, None, None, None, None),
        ("R-5", "A-1", None, "Case", at(-50), "csat", 2.0, None, None, None, None),
        ("R-6", "A-1", None, "Case", at(-120), "csat", 1.0, None, None, None, None),
        ("R-7", "A-1", None, "Effort", at(-1), "ces", 6.0, None, None, None, None),
        ("R-8", "A-2", None, "NPS", at(-370), "nps", 10.0, None, None, None, None),
    ])
    # fmt: on


@pytest.fixture
def company(tmp_path: Path) -> Any:
    con = connect(tmp_path / "h.duckdb")
    seed(con)
    build_snapshot(con, CONFIG, TODAY, since=D - timedelta(days=30))
    yield con
    con.close()


def simple_score(inputs: pa.Table) -> Scored:
    """A stand-in for the engine: 50 points, plus 10 per user active in the last 7 days, minus
    10 per open case, within 0-100; red below 40, green from 70."""
    users = inputs.column("active_users_7").to_pylist()
    cases = inputs.column("open_cases").to_pylist()
    scores: list[float | None] = []
    for u, c in zip(users, cases, strict=True):
        scores.append(
            None if u is None else max(0.0, min(100.0, 50.0 + 10.0 * u - 10.0 * (c or 0)))
        )
    bands = [
        None if s is None else "red" if s < 40 else "green" if s >= 70 else "amber" for s in scores
    ]
    ids = inputs.column("account_id")
    table = pa.table({"account_id": ids, "scorecard": ["simple"] * len(ids), "score": scores,
                      "band": bands})  # fmt: skip
    contributions = pa.table(
        {
            "account_id": ids,
            "measure": ["active_users_7"] * len(ids),
            "raw": pa.array(users, pa.float64()),
            "points": pa.array(scores, pa.float64()),
            "weight": [1.0] * len(ids),
            "contribution": pa.array(scores, pa.float64()),
            "missing": [u is None for u in users],
        }
    )
    return Scored(table, contributions)
