"""Editing the catalog one entry at a time: jobs, steps and outcome statements, as the API and
the catalog page do it (docs/jobs.md#catalog). A saved statement comes back with its parts
and the linter's verdicts (warnings: the statement is stored all the same).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import duckdb

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.jobs.catalog import SOURCE, _parts
from outsidein.jobs.statements import lint

__all__ = [
    "CatalogEditError",
    "delete_job",
    "delete_outcome",
    "delete_step",
    "save_job",
    "save_outcome",
    "save_step",
]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
PARTS = ("direction", "metric", "object_of_control", "clarifier")


class CatalogEditError(InvalidRequestError):
    """A catalog change refused by a rule (an unknown job, a job that still has outcomes)."""

    code = "catalog_edit"
    exit_code = 2


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _id(kind: str, value: str) -> str:
    if not _ID.match(value):
        raise CatalogEditError(f"{kind} id {value!r}: use 1 to 100 letters, digits, '_.:-'")
    return value


def _exists(con: duckdb.DuckDBPyConnection, table: str, column: str, value: str) -> bool:
    return bool(con.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", [value]).fetchall())


def save_job(
    con: duckdb.DuckDBPyConnection,
    job_id: str,
    name: str,
    description: str | None = None,
    parent: str | None = None,
) -> None:
    """Add or replace a job; ``parent``: its main job (a related job), None for a main job."""
    _id("job", job_id)
    if parent is not None:
        if parent == job_id:
            raise CatalogEditError(f"job {job_id!r} cannot be its own main job")
        if not _exists(con, "jobs", "job_id", parent):
            raise CatalogEditError(f"parent {parent!r} is not a job: add it first")
        chain: str | None = parent
        seen = {job_id}
        while chain is not None:  # no loop through the hierarchy
            if chain in seen:
                raise CatalogEditError(f"parent {parent!r} would make a loop of main jobs")
            seen.add(chain)
            rows = con.execute(
                "SELECT parent_job_id FROM job_parents WHERE job_id = ?", [chain]
            ).fetchall()
            chain = rows[0][0] if rows else None
    now = _now()
    con.execute(
        "INSERT OR REPLACE INTO jobs (job_id, name, description, source, loaded_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [job_id, name, description, SOURCE, now],
    )
    con.execute("DELETE FROM job_parents WHERE job_id = ?", [job_id])
    if parent is not None:
        con.execute("INSERT INTO job_parents VALUES (?, ?, ?)", [job_id, parent, now])


def delete_job(con: duckdb.DuckDBPyConnection, job_id: str) -> None:
    """Remove a job without steps, outcomes or related jobs (say which to remove first)."""
    if not _exists(con, "jobs", "job_id", job_id):
        raise NotFoundError(f"no job {job_id!r}", job_id=job_id)
    for table, column, what in (
        ("job_parents", "parent_job_id", "related jobs"),
        ("job_steps", "job_id", "steps"),
        ("outcomes", "job_id", "outcomes"),
    ):
        held = con.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [job_id])
        count = held.fetchall()[0][0]
        if count:
            raise CatalogEditError(f"job {job_id!r} still has {count} {what}: remove them first")
    con.execute("DELETE FROM job_parents WHERE job_id = ?", [job_id])
    con.execute("DELETE FROM jobs WHERE job_id = ?", [job_id])


def save_step(
    con: duckdb.DuckDBPyConnection, step_id: str, job_id: str, name: str, position: int
) -> None:
    _id("step", step_id)
    if not _exists(con, "jobs", "job_id", job_id):
        raise CatalogEditError(f"job {job_id!r} does not exist: add it first")
    con.execute(
        "INSERT OR REPLACE INTO job_steps (step_id, job_id, name, position, source, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [step_id, job_id, name, position, SOURCE, _now()],
    )


def delete_step(con: duckdb.DuckDBPyConnection, step_id: str) -> None:
    if not _exists(con, "job_steps", "step_id", step_id):
        raise NotFoundError(f"no step {step_id!r}", step_id=step_id)
    count = con.execute("SELECT count(*) FROM outcomes WHERE step_id = ?", [step_id])
    held = count.fetchall()[0][0]
    if held:
        raise CatalogEditError(f"step {step_id!r} still has {held} outcomes: remove them first")
    con.execute("DELETE FROM job_steps WHERE step_id = ?", [step_id])


def save_outcome(
    con: duckdb.DuckDBPyConnection,
    outcome_id: str,
    job_id: str,
    step_id: str | None,
    statement: str,
) -> dict[str, Any]:
    """Add or replace an outcome statement; returns its parts and the linter's warnings."""
    _id("outcome", outcome_id)
    if not _exists(con, "jobs", "job_id", job_id):
        raise CatalogEditError(f"job {job_id!r} does not exist: add it first")
    if step_id is not None:
        rows = con.execute("SELECT job_id FROM job_steps WHERE step_id = ?", [step_id]).fetchall()
        if not rows:
            raise CatalogEditError(f"step {step_id!r} does not exist: add it first")
        if rows[0][0] != job_id:
            raise CatalogEditError(f"step {step_id!r} belongs to job {rows[0][0]!r}")
    statement = " ".join(statement.split())
    parts = _parts(statement)
    now = _now()
    con.execute(
        "INSERT OR REPLACE INTO outcomes (outcome_id, job_id, step_id, statement, source, "
        "loaded_at) VALUES (?, ?, ?, ?, ?, ?)",
        [outcome_id, job_id, step_id, statement, SOURCE, now],
    )
    con.execute(
        "INSERT OR REPLACE INTO outcome_parts VALUES (?, ?, ?, ?, ?, ?)", [outcome_id, *parts, now]
    )
    return {
        "id": outcome_id,
        "statement": statement,
        "parts": dict(zip(PARTS, parts, strict=True)),
        "warnings": [{"rule": f.rule, "reason": f.reason} for f in lint(statement)],
    }


def delete_outcome(con: duckdb.DuckDBPyConnection, outcome_id: str) -> None:
    """Remove a statement (answers about it stay in ``survey_responses``)."""
    if not _exists(con, "outcomes", "outcome_id", outcome_id):
        raise NotFoundError(f"no outcome {outcome_id!r}", outcome_id=outcome_id)
    con.execute("DELETE FROM outcome_parts WHERE outcome_id = ?", [outcome_id])
    con.execute("DELETE FROM outcomes WHERE outcome_id = ?", [outcome_id])
