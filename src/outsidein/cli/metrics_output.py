"""How ``outsidein metrics`` shows a result: a Rich table, or a CSV/Parquet file."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table as RichTable

from outsidein.errors import InvalidRequestError
from outsidein.exports import write_csv

# Ratio columns are shown as percentages; everything else as is.
PERCENT_HINTS = ("rate", "nrr", "grr", "retention", "breadth", "stickiness", "utilization", "trend")
SUFFIXES = (".csv", ".parquet")


def table_from_json(
    columns: list[str], types: dict[str, str], rows: list[dict[str, Any]]
) -> pa.Table:
    """A report answered as JSON (``/api/v1/metrics/*``) back as the Arrow table it was."""
    arrays = []
    for name in columns:
        kind = _arrow_type(types.get(name, "string"))
        values = [_typed(kind, row.get(name)) for row in rows]
        arrays.append(pa.array(values, type=kind))
    return pa.Table.from_arrays(arrays, names=columns)


def _arrow_type(text: str) -> pa.DataType:
    decimal = re.fullmatch(r"decimal(?:128|256)?\((\d+), ?(\d+)\)", text)
    if decimal:
        return pa.decimal128(int(decimal[1]), int(decimal[2]))
    stamp = re.fullmatch(r"timestamp\[(\w+)(?:, tz=(.+))?\]", text)
    if stamp:
        return pa.timestamp(stamp[1], stamp[2])
    try:
        return pa.type_for_alias(text)
    except ValueError:
        return pa.string()


def _typed(kind: pa.DataType, value: Any) -> Any:
    if value is None:
        return None
    if pa.types.is_decimal(kind):
        return Decimal(str(value))
    if pa.types.is_date(kind):
        return date.fromisoformat(value)
    if pa.types.is_timestamp(kind):
        return datetime.fromisoformat(value)
    return value


def write_output(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path``; the suffix picks the format."""
    if path.suffix.lower() not in SUFFIXES:
        raise InvalidRequestError(
            f"{path}: --out must end in .csv or .parquet, not {path.suffix or 'nothing'}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        write_csv(table, path)  # formulas neutralised for spreadsheets
    else:
        pq.write_table(table, path)


def cell(column: str, value: Any, percent: bool = False) -> str:
    """One value as a person reads it."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        if percent or any(hint in column for hint in PERCENT_HINTS):
            return f"{value:.1%}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def render(
    console: Console,
    table: pa.Table,
    title: str,
    columns: list[str] | None = None,
    limit: int | None = None,
    percent: bool = False,
) -> None:
    """Print ``table`` (optionally only ``columns``, first ``limit`` rows) as a Rich table;
    ``percent`` shows every floating value as a percentage."""
    names = [c for c in (columns or table.column_names) if c in table.column_names]
    shown = table.select(names)
    if limit is not None and shown.num_rows > limit:
        shown = shown.slice(0, limit)
        title = f"{title} (first {limit} of {table.num_rows:,}; --out writes all)"
    out = RichTable(title=title, title_justify="left")
    for name in names:
        numeric = pa.types.is_integer(shown.schema.field(name).type) or pa.types.is_floating(
            shown.schema.field(name).type
        )
        numeric = numeric or pa.types.is_decimal(shown.schema.field(name).type)
        out.add_column(name, justify="right" if numeric else "left")
    for row in shown.to_pylist():
        out.add_row(*(cell(name, row[name], percent) for name in names))
    console.print(out)


def pivot(table: pa.Table, row: str, column: str, value: str) -> pa.Table:
    """A long table as a matrix: one row per ``row`` value, one column per ``column`` value."""
    rows: dict[Any, dict[str, Any]] = {}
    heads: list[str] = []
    for record in table.to_pylist():
        head = str(record[column])
        if head not in heads:
            heads.append(head)
        rows.setdefault(record[row], {row: record[row]})[head] = record[value]
    ordered = sorted(heads, key=lambda h: int(h) if h.isdigit() else h)
    data = [{row: key, **{h: cells.get(h) for h in ordered}} for key, cells in rows.items()]
    return pa.Table.from_pylist(data) if data else table.select([row])
