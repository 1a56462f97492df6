"""Which source set each field of an account or contact, read for the API and the pages.

A field's source is its ``field_sources`` entry, else the row's own ``source`` and
``loaded_at`` (the write that set it; :mod:`outsidein.ingest.provenance` keeps them so).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import PurePath

import duckdb

from outsidein.ingest.validate import ident
from outsidein.precedence import TRACKED_TABLES, source_kind
from outsidein.store.tables import TABLES
from outsidein.web.queries.rows import fetch_dicts
from outsidein.web.schemas.provenance import FieldSource

__all__ = ["field_sources", "source_labels"]


def field_sources(cur: duckdb.DuckDBPyConnection, table: str, key: str) -> dict[str, FieldSource]:
    """``{field: source}`` for every field of the row ``key`` that holds a value."""
    if table not in TRACKED_TABLES:
        raise ValueError(f"{table} keeps no field sources")
    spec = TABLES[table]
    fields = [c for c in spec.column_names if c != spec.key]
    rows = fetch_dicts(
        cur,
        f"SELECT {', '.join(ident(f) for f in fields)}, source, loaded_at, field_sources "
        f"FROM {ident(table)} WHERE {ident(spec.key)} = ?",
        [key],
    )
    if not rows:
        return {}
    row = rows[0]
    pinned = json.loads(row["field_sources"]) if row["field_sources"] else {}
    found: dict[str, tuple[str, datetime]] = {}
    for name in fields:
        if row[name] is None:
            continue
        entry = pinned.get(name)
        if entry:
            found[name] = (entry["source"], datetime.fromisoformat(entry["set_at"]))
        else:
            found[name] = (row["source"], row["loaded_at"])
    labels = source_labels(cur, {source for source, _ in found.values()})
    return {
        name: FieldSource(source=source, kind=source_kind(source), label=labels[source], set_at=at)
        for name, (source, at) in found.items()
    }


def source_labels(cur: duckdb.DuckDBPyConnection, sources: set[str]) -> dict[str, str]:
    """A file by its name, a write key by its own name (its id if it is gone)."""
    keys = [s.removeprefix("segment:") for s in sources if source_kind(s) == "segment"]
    names = dict(
        cur.execute(
            "SELECT key_id, name FROM write_keys WHERE list_contains(?, key_id)", [keys]
        ).fetchall()
        if keys
        else []
    )
    labels = {}
    for source in sources:
        if source_kind(source) == "segment":
            key_id = source.removeprefix("segment:")
            labels[source] = f"Segment key {names.get(key_id, key_id)}"
        else:
            labels[source] = PurePath(source).name or source
    return labels
