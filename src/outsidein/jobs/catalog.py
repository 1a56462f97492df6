"""The jobs-to-be-done catalog: jobs (main and related), their steps and desired outcomes,
imported from and exported to YAML (docs/jobs.md#catalog).

A job without steps gets the universal job map. Each outcome's parts are stored
(``outcome_parts``) and each statement is linted; the linter's findings are warnings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import yaml

from outsidein.errors import LoadError
from outsidein.jobs.statements import Finding, lint, parse

__all__ = ["UNIVERSAL_JOB_MAP", "Imported", "export_yaml", "import_yaml", "read_catalog"]

UNIVERSAL_JOB_MAP = (
    "Define", "Locate", "Prepare", "Confirm", "Execute", "Monitor", "Modify", "Conclude",
)  # fmt: skip
SOURCE = "catalog"


@dataclass(frozen=True)
class Imported:
    jobs: int
    steps: int
    outcomes: int
    warnings: list[tuple[str, Finding]] = field(default_factory=list)  # (outcome id, finding)


class CatalogError(LoadError):
    """A catalog file that cannot be read: the message names the entry and the field."""

    code = "invalid_catalog"


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise CatalogError(f"{where}: {key!r} is missing; add it")
        return None
    if not isinstance(value, str | int) or not str(value).strip():
        raise CatalogError(f"{where}: {key!r} must be a non-empty text, not {value!r}")
    return str(value).strip()


def _list(entry: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = entry.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CatalogError(f"{where}: {key!r} must be a list of entries")
    return value


def parse_yaml(text: str, name: str = "catalog") -> tuple[list[tuple[Any, ...]], ...]:
    """Rows for jobs, job_parents, job_steps, outcomes from a catalog document."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(f"{name}{line}: not YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), list):
        raise CatalogError(f"{name}: expected a mapping with a list under 'jobs'")
    jobs, parents, steps, outcomes = [], [], [], []
    ids: set[str] = set()
    for j, job in enumerate(_list(doc, "jobs", name)):
        where = f"{name}: jobs[{j}]"
        job_id = _text(job, "id", where)
        assert job_id is not None
        where = f"{name}: job {job_id}"
        if job_id in ids:
            raise CatalogError(f"{where}: the id is used twice")
        ids.add(job_id)
        jobs.append(
            (job_id, _text(job, "name", where), _text(job, "description", where, required=False))
        )
        parent = _text(job, "parent", where, required=False)
        if parent is not None:
            parents.append((job_id, parent))
        step_entries = _list(job, "steps", where) or [
            {"id": f"{job_id}-S{i + 1}", "name": n} for i, n in enumerate(UNIVERSAL_JOB_MAP)
        ]
        for s, step in enumerate(step_entries):
            step_id = _text(step, "id", f"{where} steps[{s}]")
            steps.append((step_id, job_id, _text(step, "name", f"{where} step {step_id}"), s + 1))
            for o, out in enumerate(_list(step, "outcomes", f"{where} step {step_id}")):
                oid = _text(out, "id", f"{where} step {step_id} outcomes[{o}]")
                stmt = _text(out, "statement", f"{where} outcome {oid}")
                outcomes.append((oid, job_id, step_id, stmt))
        for o, out in enumerate(_list(job, "outcomes", where)):
            oid = _text(out, "id", f"{where} outcomes[{o}]")
            outcomes.append((oid, job_id, None, _text(out, "statement", f"{where} outcome {oid}")))
    known = {j[0] for j in jobs}
    for child, parent in parents:
        if parent not in known:
            raise CatalogError(f"{name}: job {child}: parent {parent!r} is not a job of the file")
    return jobs, parents, steps, outcomes


def import_yaml(con: duckdb.DuckDBPyConnection, text: str, name: str = "catalog") -> Imported:
    """Write a catalog document into the store (new ids added, known ids replaced)."""
    jobs, parents, steps, outcomes = parse_yaml(text, name)
    now = datetime.now(UTC).replace(tzinfo=None)
    warnings = [(o[0], f) for o in outcomes for f in lint(o[3])]
    con.execute("BEGIN TRANSACTION")
    try:
        con.executemany(
            "INSERT OR REPLACE INTO jobs (job_id, name, description, source, loaded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(*j, SOURCE, now) for j in jobs],
        )
        con.executemany("DELETE FROM job_parents WHERE job_id = ?", [(j[0],) for j in jobs])
        if parents:  # DuckDB refuses an empty executemany (a catalog of main jobs only)
            con.executemany(
                "INSERT INTO job_parents VALUES (?, ?, ?)", [(*p, now) for p in parents]
            )
        con.executemany(
            "INSERT OR REPLACE INTO job_steps (step_id, job_id, name, position, source, "
            "loaded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(*s, SOURCE, now) for s in steps],
        )
        con.executemany(
            "INSERT OR REPLACE INTO outcomes (outcome_id, job_id, step_id, statement, source, "
            "loaded_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(*o, SOURCE, now) for o in outcomes],
        )
        con.executemany(
            "INSERT OR REPLACE INTO outcome_parts VALUES (?, ?, ?, ?, ?, ?)",
            [(o[0], *_parts(o[3]), now) for o in outcomes],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Imported(len(jobs), len(steps), len(outcomes), warnings)


def _parts(statement: str) -> tuple[str | None, ...]:
    p = parse(statement)
    return (p.direction, p.metric, p.object_of_control, p.clarifier)


def read_catalog(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The catalog as nested entries (the YAML document's ``jobs``), with each outcome's parts
    (stored, or parsed when the outcome came from a file load) and lint findings."""
    parents = dict(cur.execute("SELECT job_id, parent_job_id FROM job_parents").fetchall())
    stored = {
        r[0]: r[1:]
        for r in cur.execute("SELECT * EXCLUDE (updated_at) FROM outcome_parts").fetchall()
    }
    steps: dict[str, list[dict[str, Any]]] = {}
    by_step: dict[str | None, list[dict[str, Any]]] = {}
    loose: dict[str, list[dict[str, Any]]] = {}
    for oid, job_id, step_id, statement in cur.execute(
        "SELECT outcome_id, job_id, step_id, statement FROM outcomes ORDER BY outcome_id"
    ).fetchall():
        parts = stored.get(oid) or _parts(statement)
        entry = {
            "id": oid,
            "statement": statement,
            "parts": dict(
                zip(("direction", "metric", "object_of_control", "clarifier"), parts, strict=True)
            ),
            "warnings": [{"rule": f.rule, "reason": f.reason} for f in lint(statement)],
        }
        (by_step.setdefault(step_id, []) if step_id else loose.setdefault(job_id, [])).append(entry)
    for step_id, job_id, name in cur.execute(
        "SELECT step_id, job_id, name FROM job_steps ORDER BY job_id, position, step_id"
    ).fetchall():
        steps.setdefault(job_id, []).append(
            {"id": step_id, "name": name, "outcomes": by_step.get(step_id, [])}
        )
    return [
        {
            "id": job_id,
            "name": name,
            "description": description,
            "parent": parents.get(job_id),
            "steps": steps.get(job_id, []),
            "outcomes": loose.get(job_id, []),
        }
        for job_id, name, description in cur.execute(
            "SELECT job_id, name, description FROM jobs ORDER BY job_id"
        ).fetchall()
    ]


def export_yaml(cur: duckdb.DuckDBPyConnection) -> str:
    """The catalog as a YAML document :func:`import_yaml` reads back."""

    def plain(job: dict[str, Any]) -> dict[str, Any]:
        out = {k: job[k] for k in ("id", "name", "description", "parent") if job[k] is not None}
        out["steps"] = [
            {
                "id": s["id"],
                "name": s["name"],
                "outcomes": [{"id": o["id"], "statement": o["statement"]} for o in s["outcomes"]],
            }
            for s in job["steps"]
        ]
        if job["outcomes"]:
            out["outcomes"] = [
                {"id": o["id"], "statement": o["statement"]} for o in job["outcomes"]
            ]
        return out

    jobs = [plain(j) for j in read_catalog(cur)]
    return str(yaml.safe_dump({"jobs": jobs}, sort_keys=False, allow_unicode=True, width=100))
