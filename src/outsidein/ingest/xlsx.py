"""Read one sheet of an ``.xlsx`` workbook as text columns, each row with its sheet row.

python-calamine (Rust's calamine) reads the workbook; every cell becomes the text the CSV
path would have seen, so one validation serves both: whole numbers stored as floats lose
their ``.0``, dates and times are ISO 8601, booleans ``true``/``false``. ``_line`` is the
spreadsheet's row number, as Excel shows it. The sheet is the one named with ``--sheet``,
else the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from outsidein.errors import LoadError

LINE = "_line"


def _sheet(path: Path, name: str | None) -> Any:
    from python_calamine import CalamineError, load_workbook

    try:
        book = load_workbook(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise LoadError(f"{path}: not readable as an .xlsx workbook ({exc})") from None
    names = list(book.sheet_names)
    if not names:
        raise LoadError(f"{path}: the workbook has no sheet")
    if name is None:
        return book.get_sheet_by_name(names[0])
    if name not in names:
        raise LoadError(f"{path}: --sheet {name!r}: no such sheet; its sheets are: "
                        f"{', '.join(names)}")  # fmt: skip
    return book.get_sheet_by_name(name)


def cell_text(value: Any) -> str | None:
    """A cell as the text a CSV export would hold."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def xlsx_columns(path: Path, sheet: str | None) -> list[str]:
    """The header: the sheet's first row."""
    for row in _sheet(path, sheet).iter_rows():
        header = [cell_text(v) or "" for v in row]
        while header and not header[-1]:
            header.pop()
        if header:
            return [name.strip() for name in header]
        break
    raise LoadError(f"{path}: the sheet is empty; a header row is required")


def xlsx_tables(path: Path, names: list[str], sheet: str | None, rows: int) -> Iterator[pa.Table]:
    """The sheet's rows after the header, ``rows`` at a time; empty rows skipped."""
    columns: list[list[str | None]] = [[] for _ in names]
    lines: list[int] = []

    def flush() -> pa.Table:
        arrays = [pa.array(values, type=pa.string()) for values in columns]
        arrays.append(pa.array(lines, type=pa.int64()))
        for values in columns:
            values.clear()
        table = pa.Table.from_arrays(arrays, names=[*names, LINE])
        lines.clear()
        return table

    for number, row in enumerate(_sheet(path, sheet).iter_rows(), start=1):
        if number == 1:
            continue
        texts = [cell_text(v) for v in row[: len(names)]]
        if not any(texts):
            continue
        texts.extend([None] * (len(names) - len(texts)))
        for values, text in zip(columns, texts, strict=True):
            values.append(text)
        lines.append(number)
        if len(lines) >= rows:
            yield flush()
    yield flush()
