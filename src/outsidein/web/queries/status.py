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
    """Count rows in every canonical table (names come from our own table list, never input).

    One statement, so the counts are one snapshot: counted table by table, a commit landing
    between two counts (an apply cycle writes accounts and events together) showed the
    events without their account.
    """
    version = fetch_value(cur, "SELECT coalesce(max(version), 0) FROM schema_version")
    columns = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in LOAD_ORDER)
    row = cur.execute(f"SELECT {columns}").fetchone() or ()
    counts = {name: int(n or 0) for name, n in zip(LOAD_ORDER, row, strict=True)}
    return Status(
        version=__version__,
        schema_version=int(version or 0),
        latest_schema_version=LATEST_VERSION,
        tables=counts,
        pipeline=[step_out(s) for s in steps],
    )


def step_out(status: StepStatus) -> StepOut:
    return StepOut.model_validate(asdict(status))
