"""Read CSV, Parquet and JSON Lines as a stream of Arrow batches, each row with its line.

Every reader yields batches with a ``_line`` column (the 1-based line of the row in the
file; for Parquet, the row's position) so that rejects can point at the exact place.
Rows a reader cannot even parse become :class:`UnreadableRow` instead of being dropped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from outsidein.errors import LoadError
from outsidein.ingest.csv_chunks import csv_batches

LINE = "_line"
BATCH_ROWS = 256_000

_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass(frozen=True)
class UnreadableRow:
    """A row the file format itself could not parse (bad JSON, wrong field count)."""

    line: int | None
    reason: str
    text: str


def detect_format(path: Path) -> str:
    """The format from the file's extension (``.gz`` allowed for CSV and JSON Lines)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = _FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        known = ", ".join(sorted(_FORMATS))
        raise LoadError(f"{path}: unknown file type; expected one of {known} (optionally .gz)")
    return fmt


def read_columns(path: Path, fmt: str) -> list[str]:
    """The column names of a file, read from its header, schema or first record."""
    if fmt == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    with _open_text(path) as handle:
        if fmt == "csv":
            header = next(csv.reader(handle, delimiter=_delimiter(path)), None)
            if not header:
                raise LoadError(f"{path}: the file is empty; a header line is required")
            return [name.strip() for name in header]
        names: dict[str, None] = {}
        for number, text in enumerate(handle, start=1):
            if number > 1000:
                break
            record = _parse_json_line(text)
            if isinstance(record, dict):
                names.update(dict.fromkeys(record))
        return list(names)


@contextmanager
def source_relation(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    unreadable: list[UnreadableRow],
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """A SQL relation streaming the file's rows with ``_line``; scan it exactly once.

    Parquet is read by DuckDB itself (parallel, with its row numbers). CSV and JSON Lines
    stream through Arrow in bounded batches so each unparsable row is caught and kept.
    """
    if fmt == "parquet":
        try:
            pq.ParquetFile(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise LoadError(f"{path}: not readable as Parquet: {exc}") from None
        quoted = str(path).replace("'", "''")
        yield (
            f"(SELECT *, file_row_number + 1 AS {LINE} "
            f"FROM read_parquet('{quoted}', file_row_number = true))"
        )
        return
    batches = _csv_batches(path, unreadable) if fmt == "csv" else _jsonl_batches(path, unreadable)
    first = next(batches, None)
    if first is None:
        raise LoadError(f"{path}: the file holds no rows")

    def counted() -> Iterator[pa.RecordBatch]:
        rows = 0
        for batch in chain([first], batches):
            rows += batch.num_rows
            if progress:
                progress(rows)
            yield batch

    reader = pa.RecordBatchReader.from_batches(first.schema, counted())
    con.register("_oi_source", reader)
    try:
        yield "_oi_source"
    finally:
        con.unregister("_oi_source")


def _open_text(path: Path) -> io.TextIOWrapper:
    if path.suffix.lower() == ".gz":
        import gzip

        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _delimiter(path: Path) -> str:
    return "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","


def _csv_batches(path: Path, unreadable: list[UnreadableRow]) -> Iterator[pa.RecordBatch]:
    found: list[tuple[int, str, str]] = []
    names = read_columns(path, "csv")
    for batch in csv_batches(path, names, _delimiter(path), found):
        yield batch
        unreadable.extend(UnreadableRow(*row) for row in found)
        found.clear()
    unreadable.extend(UnreadableRow(*row) for row in found)


def _parse_json_line(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _jsonl_batches(path: Path, unreadable: list[UnreadableRow]) -> Iterator[pa.RecordBatch]:
    """JSON Lines parsed line by line, so each bad line is reported with its number."""
    names = read_columns(path, "jsonl")
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    lines: list[int] = []

    def flush() -> pa.RecordBatch:
        arrays = [pa.array(columns[n], type=pa.string()) for n in names]
        arrays.append(pa.array(lines, type=pa.int64()))
        batch = pa.RecordBatch.from_arrays(arrays, names=[*names, LINE])
        for values in columns.values():
            values.clear()
        lines.clear()
        return batch

    with _open_text(path) as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                unreadable.append(UnreadableRow(number, f"invalid JSON: {exc.msg}", text[:200]))
                continue
            if not isinstance(record, dict):
                unreadable.append(
                    UnreadableRow(number, "a line must hold a JSON object", text[:200])
                )
                continue
            for name in names:
                columns[name].append(_as_text(record.get(name)))
            lines.append(number)
            if len(lines) >= BATCH_ROWS // 4:
                yield flush()
    if lines:
        yield flush()
