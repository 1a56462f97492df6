"""Custom fields: what a file has that the canonical columns do not, kept typed per record.

Accounts, contacts, subscriptions and cases keep a file's unmapped columns (by default; see
``keep_extra``) as custom fields named like the column (``Plan Tier`` -> ``plan_tier``),
each value with the load it came from. A field's type is inferred from all its values in a
load: ``bool`` (true/false/yes/no), ``number``, ``date`` (YYYY-MM-DD), else ``text``; a later
load that disagrees makes it ``text``. Later code (health, segments, pages) reads them
through :mod:`outsidein.store.custom_fields` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import duckdb

from outsidein.errors import LoadError
from outsidein.ingest.resolve import normalize_name
from outsidein.ingest.transforms.compile import CUSTOM_PREFIX
from outsidein.ingest.validate import ident
from outsidein.store.custom_fields import ENTITIES
from outsidein.store.tables import Table

__all__ = ["ENTITIES", "choose", "write"]
TYPES = ("number", "bool", "date", "text")
_BOOLS = ("true", "false", "yes", "no")
_ISO_DAY = r"\d{4}-\d{2}-\d{2}"


def choose(
    table: Table, ignored: Sequence[str], referenced: Iterable[str], keep_extra: bool | None
) -> tuple[dict[str, str], list[str]]:
    """(custom field column -> relation column, the columns still ignored).

    ``custom:NAME`` columns are kept always; other unmapped columns when ``keep_extra``
    (default: yes for :data:`ENTITIES`), except those a transform already read.
    """
    keep = table.name in ENTITIES and keep_extra is not False
    used = set(referenced)
    custom: dict[str, str] = {}
    rest: list[str] = []
    for name in ignored:
        if name.startswith(CUSTOM_PREFIX):
            if table.name not in ENTITIES:
                raise LoadError(
                    f"{name}: custom fields are kept for {', '.join(ENTITIES)}, not {table.name}"
                )
            custom[name] = name
            continue
        field = re.sub(r"[^a-z0-9_]", "_", normalize_name(name)).strip("_")
        if not keep or name in used or not field or CUSTOM_PREFIX + field in custom:
            rest.append(name)
            continue
        if not field[0].isalpha():
            field = "f_" + field
        custom[CUSTOM_PREFIX + field] = name
    return custom, rest


def write(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    ready: str,
    columns: dict[str, str],
    load_id: str,
    source: str,
) -> None:
    """Store the custom fields of the rows in ``ready`` (inside the load's transaction)."""
    key = ident(table.key)
    for column, source_column in columns.items():
        name = column.removeprefix(CUSTOM_PREFIX)
        text = f"NULLIF(trim(CAST({ident(column)} AS VARCHAR)), '')"
        rows = f"SELECT CAST({key} AS VARCHAR) AS record_id, {text} AS v FROM {ready}"
        counts = con.execute(
            f"SELECT count(v), count(*) FILTER (WHERE lower(v) IN (?, ?, ?, ?)), "
            f"count(TRY_CAST(v AS DOUBLE)), count(*) FILTER (WHERE regexp_full_match(v, ?) "
            f"AND TRY_CAST(v AS DATE) IS NOT NULL) FROM ({rows})",
            [*_BOOLS, _ISO_DAY],
        ).fetchall()[0]
        filled, bools, numbers, days = (int(c) for c in counts)
        kind = (
            "bool" if filled and bools == filled
            else "number" if filled and numbers == filled
            else "date" if filled and days == filled
            else "text"
        )  # fmt: skip
        con.execute(
            "INSERT INTO custom_fields VALUES (?, ?, ?, ?, ?, ?, getvariable('oi_loaded_at')) "
            "ON CONFLICT (entity, name) DO UPDATE SET type = CASE WHEN ? = 0 "
            "THEN custom_fields.type WHEN custom_fields.type = excluded.type "
            "THEN excluded.type ELSE 'text' END, source_column = excluded.source_column, "
            "load_id = excluded.load_id, source = excluded.source, "
            "updated_at = excluded.updated_at",
            [table.name, name, kind, source_column, load_id, source, filled],
        )
        stored = con.execute(
            "SELECT count(*) FROM custom_values WHERE entity = ? AND name = ?", [table.name, name]
        ).fetchall()[0][0]
        upsert = (
            " ON CONFLICT (entity, record_id, name) DO UPDATE SET value = excluded.value, "
            "number = excluded.number, flag = excluded.flag, day = excluded.day, "
            "load_id = excluded.load_id, source = excluded.source, "
            "loaded_at = excluded.loaded_at WHERE custom_values.value IS DISTINCT FROM "
            "excluded.value"
        )
        if stored:  # a field seen before: blanked values go, changed ones are replaced
            con.execute(
                f"DELETE FROM custom_values WHERE entity = ? AND name = ? AND record_id IN "
                f"(SELECT record_id FROM ({rows}) WHERE v IS NULL)",
                [table.name, name],
            )
        con.execute(
            f"INSERT INTO custom_values SELECT ?, record_id, ?, v, TRY_CAST(v AS DOUBLE), "
            f"CASE WHEN lower(v) IN (?, ?) THEN true WHEN lower(v) IN (?, ?) THEN false END, "
            f"CASE WHEN regexp_full_match(v, ?) THEN TRY_CAST(v AS DATE) END, ?, ?, "
            f"getvariable('oi_loaded_at') FROM ({rows}) WHERE v IS NOT NULL"
            + (upsert if stored else ""),
            [table.name, name, "true", "yes", "false", "no", _ISO_DAY, load_id, source],
        )
