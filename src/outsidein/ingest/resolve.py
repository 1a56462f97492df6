"""Match a file's columns to a canonical table, through the user's mapping.

Names match exactly, or after lower-casing and turning spaces and dashes into underscores
("Account ID" -> account_id). A mapping target ``ext:SYSTEM`` marks a column as another
system's id for the account (CRM, billing, product analytics), or in a contacts file for
the contact (``contact_external_ids``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from outsidein.errors import LoadError
from outsidein.ingest import reasons
from outsidein.ingest.formats import ReadOptions, names_listed, parquet_file, read_columns
from outsidein.ingest.mapping import EXTERNAL_ID_PREFIX
from outsidein.store.tables import Table

# The kinds whose rows keep other systems' ids (ext:SYSTEM), and where.
EXTERNAL_ID_TABLES = {"accounts": "external_ids", "contacts": "contact_external_ids"}


@dataclass
class ColumnMap:
    """Which file column feeds each canonical column."""

    sources: dict[str, str] = field(default_factory=dict)
    arrow_types: dict[str, pa.DataType] = field(default_factory=dict)
    external: dict[str, str] = field(default_factory=dict)  # "ext:SYSTEM" -> file column
    ignored: list[str] = field(default_factory=list)


def normalize_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def file_columns(
    path: Path, fmt: str, options: ReadOptions | None = None
) -> tuple[list[str], dict[str, pa.DataType]]:
    """The file's column names and their Arrow types (text unless the format has types)."""
    names = read_columns(path, fmt, options)
    if fmt == "parquet":
        schema = parquet_file(path).schema_arrow
        return names, {name: schema.field(name).type for name in names}
    return names, {name: pa.string() for name in names}


def map_columns(
    path: Path,
    fmt: str,
    table: Table,
    mapping: Mapping[str, str],
    id_system: str | None,
    columns: tuple[list[str], dict[str, pa.DataType]] | None = None,
    options: ReadOptions | None = None,
) -> ColumnMap:
    """Resolve canonical columns to file columns; raise LoadError naming what is missing.

    ``columns`` (names, types) stands for the file's own when transforms reshape it.
    """
    names, types = columns or file_columns(path, fmt, options)
    for source in mapping:
        if source not in names:
            raise LoadError(
                f"{path}: --map {source}=...: the file has no column {source!r}; "
                f"its columns are: {names_listed(names)}"
            )
    canonical = set(table.column_names)
    result = ColumnMap(arrow_types=types)
    for name in names:
        target = mapping.get(name) or normalize_name(name)
        if target.startswith(EXTERNAL_ID_PREFIX):
            if table.name not in EXTERNAL_ID_TABLES:
                raise LoadError(
                    f"{path}: {name}={target}: external ids are declared on accounts and contacts"
                )
            result.external[target] = name
        elif target in canonical and target not in result.sources:
            result.sources[target] = name
        elif name in mapping:
            raise LoadError(
                f"{path}: --map {name}={target}: {target!r} is not a column of {table.name}; "
                f"one of: {', '.join(table.column_names)} or ext:SYSTEM"
            )
        else:
            result.ignored.append(name)
    missing = [
        c.name
        for c in table.columns
        if c.required and c.default is None and c.name not in result.sources
    ]
    if missing:
        raise LoadError(
            f"{path}: required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} missing for {table.name}; the file's columns are: "
            f"{names_listed(names)}. Fix: {reasons.missing_column_fix(table, missing)}",
            missing=missing,
        )
    if table.name in EXTERNAL_ID_TABLES and id_system:
        result.external[EXTERNAL_ID_PREFIX + id_system] = result.sources[table.key]
    return result
