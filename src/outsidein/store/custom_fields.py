"""Custom fields as later code reads them: the fields of an entity, their typed values.

What a file had with no canonical home (``plan tier``, ``seats``, ``trial``) is kept by the
loader (:mod:`outsidein.ingest.custom_fields`); health scores, segments, pages and the API
read it here, through :func:`values` for many records and :func:`record_values` for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.errors import NotFoundError
from outsidein.store.tables import TABLES

__all__ = ["ENTITIES", "fields", "record_values", "values"]

ENTITIES = ("accounts", "contacts", "subscriptions", "cases")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fields(con: duckdb.DuckDBPyConnection, entity: str | None = None) -> list[dict[str, Any]]:
    """Every custom field (of ``entity``), with its type, how many records have it, its load."""
    where, params = ("WHERE f.entity = ?", [entity]) if entity else ("", [])
    rows = con.execute(
        "SELECT f.entity, f.name, f.type, f.source_column, count(v.record_id) AS records, "
        "f.load_id, f.source, f.updated_at FROM custom_fields f LEFT JOIN custom_values v "
        f"ON v.entity = f.entity AND v.name = f.name {where} "
        "GROUP BY ALL ORDER BY f.entity, f.name",
        params,
    ).fetchall()
    keys = ("entity", "name", "type", "source_column", "records", "load_id", "source",
            "updated_at")  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _typed(kind: str) -> str:
    return {"number": "number", "bool": "flag", "date": "day"}.get(kind, "value")


def values(con: duckdb.DuckDBPyConnection, entity: str, names: Sequence[str]) -> pa.Table:
    """One row per record of ``entity`` with a value for any of ``names``: its key column
    (``account_id``, ...) and one typed column per field (DOUBLE, BOOLEAN, DATE or VARCHAR)."""
    if entity not in ENTITIES:
        raise NotFoundError(f"custom fields belong to {', '.join(ENTITIES)}, not {entity!r}")
    known = {f["name"]: f["type"] for f in fields(con, entity)}
    missing = [n for n in names if n not in known]
    if missing:
        raise NotFoundError(
            f"no custom field {', '.join(missing)} on {entity}; known: {', '.join(known) or 'none'}"
        )
    columns = ", ".join(
        f"max({_typed(known[n])}) FILTER (WHERE name = ?) AS {_ident(n)}" for n in names
    )
    sql = (
        f"SELECT record_id AS {_ident(TABLES[entity].key)}"
        f"{', ' + columns if columns else ''} FROM custom_values WHERE entity = ? "
        f"AND name IN (SELECT unnest(?)) GROUP BY record_id ORDER BY record_id"
    )
    return con.sql(sql, params=[*names, entity, list(names)]).to_arrow_table()


def record_values(
    con: duckdb.DuckDBPyConnection, entity: str, record_id: str
) -> list[dict[str, Any]]:
    """The custom fields of one record, typed, with the load each value came from."""
    rows = con.execute(
        "SELECT v.name, f.type, v.value, v.number, v.flag, v.day, v.source, v.loaded_at "
        "FROM custom_values v JOIN custom_fields f ON f.entity = v.entity AND f.name = v.name "
        "WHERE v.entity = ? AND v.record_id = ? ORDER BY v.name",
        [entity, record_id],
    ).fetchall()
    out = []
    for name, kind, text, number, flag, day, source, loaded_at in rows:
        typed = {"number": number, "bool": flag, "date": day}.get(kind, text)
        out.append(
            {"name": name, "type": kind, "value": text if typed is None else typed,
             "source": source, "loaded_at": loaded_at}
        )  # fmt: skip
    return out
