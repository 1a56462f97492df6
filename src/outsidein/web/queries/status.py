"""Schema version and row counts of the canonical tables, and the pipeline's steps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

import duckdb

from outsidein import __version__
from outsidein.pipeline import StepStatus
from outsidein.store import LATEST_VERSION, LOAD_ORDER
from outsidein.web.queries.rows import fetch_value
from outsidein.web.schemas.status import Status, StepOut


def store_status(cur: duckdb.DuckDBPyConnection, steps: Iterable[StepStatus] = ()) -> Status:
    """Count rows in every canonical table (names come from our own table list, never input)."""
    version = fetch_value(cur, "SELECT coalesce(max(version), 0) FROM schema_version")
    counts = {
        name: int(fetch_value(cur, f'SELECT count(*) FROM "{name}"') or 0) for name in LOAD_ORDER
    }
    return Status(
        version=__version__,
        schema_version=int(version or 0),
        latest_schema_version=LATEST_VERSION,
        tables=counts,
        pipeline=[step_out(s) for s in steps],
    )


def step_out(status: StepStatus) -> StepOut:
    return StepOut.model_validate(asdict(status))
