"""Read CSV, Parquet and JSON Lines as a stream of Arrow batches, each row with its line.

Every reader yields batches with a ``_line`` column (the 1-based line of the row in the
file; for Parquet, the row's position) so that rejects can point at the exact place.
Rows a reader cannot even parse become :class:`UnreadableRow` instead of being dropped.
"""

from __future__ import annotations

import csv
import io
import json
import queue
import threading
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from outsidein.errors import LoadError
from outsidein.ingest import reasons
from outsidein.ingest.csv_chunks import archive_error, csv_tables, header_bytes, open_binary
from outsidein.ingest.encodings import SAMPLE_BYTES, Encoding, detect_encoding

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
    ".xlsx": "xlsx",
}
SHOWN_NAMES = 20


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file beyond its extension: an encoding, an .xlsx sheet, date formats.

    ``formats`` maps a column (the file's name or the canonical one) to a strptime pattern
    or ``iso``/``epoch``/``epoch_ms`` (:mod:`outsidein.ingest.dates`).
    """

    encoding: str | None = None
    sheet: str | None = None
    formats: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> list[object]:
        """What changes the rows read from the same bytes (part of the file's fingerprint)."""
        if not (self.encoding or self.sheet or self.formats):
            return []
        return [self.encoding, self.sheet, sorted(self.formats.items())]


def names_listed(names: list[str], limit: int = SHOWN_NAMES) -> str:
    """Column names for a message: all of a usual file, the first few of a very wide one."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names):,} columns in all)"


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


def check_readable(path: Path) -> None:
    """One line for a path that is no file to read: missing, a directory, not permitted."""
    if path.is_dir():
        raise LoadError(f"{path}: is a directory; name a file (outsidein demo loads a folder)")
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise LoadError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise LoadError(f"{path}: not a regular file")


def parquet_file(path: Path) -> pq.ParquetFile:
    """The Parquet file, or one line saying it is not one (empty, text, damaged)."""
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        size = path.stat().st_size
        what = "the file is empty" if size == 0 else f"not a Parquet file ({exc})"
        raise LoadError(f"{path}: {what}; it is named .parquet") from None


def file_encoding(path: Path, options: ReadOptions | None = None) -> Encoding:
    """The encoding of a text file (CSV, JSON Lines): named, or from its first bytes."""
    try:
        with open_binary(path) as handle:
            head = handle.read(SAMPLE_BYTES)
    except (EOFError, OSError, zlib.error) as exc:
        raise archive_error(path, exc) from None
    return detect_encoding(head, options.encoding if options else None)


def read_columns(path: Path, fmt: str, options: ReadOptions | None = None) -> list[str]:
    """The column names of a file, read from its header, schema or first record.

    A header naming a column twice is refused: which of the two was meant is not known.
    """
    if fmt == "parquet":
        return list(parquet_file(path).schema_arrow.names)
    if fmt == "xlsx":
        from outsidein.ingest.xlsx import xlsx_columns

        return _unique(path, xlsx_columns(path, (options or ReadOptions()).sheet))
    encoding = file_encoding(path, options)
    if fmt == "csv":
        try:
            with open_binary(path, encoding) as handle:
                head = header_bytes(handle)
            text = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoadError(
                f"{path}: line 1: the header is not valid {encoding.name} ({exc.reason}); "
                "name the file's encoding with --encoding"
            ) from None
        except (EOFError, OSError, zlib.error) as exc:
            raise archive_error(path, exc) from None
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path)), None)
        if not header:
            raise LoadError(f"{path}: the file is empty; a header line is required")
        return _unique(path, [name.strip() for name in header])
    names: dict[str, None] = {}
    try:
        with open_binary(path, encoding) as lines:
            for number, line in enumerate(lines, start=1):
                if number > 1000:
                    break
                record = _parse_json_line(line.decode("utf-8-sig", "replace"))
                if isinstance(record, dict):
                    names.update(dict.fromkeys(record))
    except (EOFError, OSError, zlib.error) as exc:
        raise archive_error(path, exc) from None
    return list(names)


def _unique(path: Path, names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name in seen:
            raise LoadError(
                f"{path}: line 1: the header names column {name!r} twice (columns "
                f"{seen[name]} and {number}): rename one"
            )
        seen[name] = number
    return names


def source_relations(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    unreadable: list[UnreadableRow],
    progress: Callable[[int], None] | None = None,
    options: ReadOptions | None = None,
) -> Generator[str, None, None]:
    """SQL relations that together hold the file's rows with ``_line``; scan each once.

    Parquet is one relation read by DuckDB itself (parallel, with its row numbers). CSV and
    JSON Lines come as one in-memory Arrow table per bounded chunk, which DuckDB scans in
    parallel; each unparsable row is caught and kept in ``unreadable``.
    """
    if fmt == "parquet":
        parquet_file(path)
        quoted = str(path).replace("'", "''")
        yield (
            f"(SELECT *, file_row_number + 1 AS {LINE} "
            f"FROM read_parquet('{quoted}', file_row_number = true))"
        )
        return
    names = read_columns(path, fmt, options)
    chunks: Iterator[pa.Table]
    if fmt == "xlsx":
        from outsidein.ingest.xlsx import xlsx_tables

        chunks = xlsx_tables(path, names, (options or ReadOptions()).sheet, BATCH_ROWS)
    elif fmt == "csv":
        chunks = _csv_tables(path, names, unreadable, file_encoding(path, options))
    else:
        chunks = _jsonl_tables(path, names, unreadable, file_encoding(path, options))
    rows = 0
    for chunk in prefetched(chunks):
        rows += chunk.num_rows
        yield from _registered(con, chunk)
        if progress:
            progress(rows)
    if rows == 0:
        # No readable row: still stage an empty table, so the unreadable ones are recorded.
        empty = pa.table(
            {**{name: pa.array([], pa.string()) for name in names}, LINE: pa.array([], pa.int64())}
        )
        yield from _registered(con, empty)


def file_tables(path: Path, fmt: str, options: ReadOptions | None = None) -> Iterator[pa.Table]:
    """The whole file again as text tables (a second read, for date detection)."""
    names = read_columns(path, fmt, options)
    ignored: list[UnreadableRow] = []
    if fmt == "xlsx":
        from outsidein.ingest.xlsx import xlsx_tables

        return xlsx_tables(path, names, (options or ReadOptions()).sheet, BATCH_ROWS)
    if fmt == "csv":
        return _csv_tables(path, names, ignored, file_encoding(path, options))
    return _jsonl_tables(path, names, ignored, file_encoding(path, options))


def prefetched(items: Iterator[pa.Table], depth: int = 2) -> Iterator[pa.Table]:
    """Produce the next chunks in a thread while DuckDB checks this one.

    Parsing (Arrow) and checking (DuckDB) both release the GIL, so the two overlap; at most
    ``depth`` chunks wait, which keeps memory bounded.
    """
    slots: queue.Queue[pa.Table | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: pa.Table | BaseException | None) -> bool:
        """Queue ``item`` unless the consumer has gone; True when queued."""
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            offer(exc)

    worker = threading.Thread(target=produce, name="outsidein-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    con.register("_oi_source", table)
    try:
        yield "_oi_source"
    finally:
        con.unregister("_oi_source")


def _delimiter(path: Path) -> str:
    return "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","


def _csv_tables(
    path: Path, names: list[str], unreadable: list[UnreadableRow], encoding: Encoding
) -> Iterator[pa.Table]:
    found: list[tuple[int, str, str]] = []
    for table in csv_tables(path, names, _delimiter(path), found, encoding):
        unreadable.extend(UnreadableRow(*row) for row in found)
        found.clear()
        yield table
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


def _jsonl_tables(
    path: Path, names: list[str], unreadable: list[UnreadableRow], encoding: Encoding
) -> Iterator[pa.Table]:
    """JSON Lines parsed line by line, so each bad line is reported with its number."""
    columns: dict[str, list[str | None]] = {name: [] for name in names}
    lines: list[int] = []

    def flush() -> pa.Table:
        arrays = [pa.array(columns[n], type=pa.string()) for n in names]
        arrays.append(pa.array(lines, type=pa.int64()))
        batch = pa.Table.from_arrays(arrays, names=[*names, LINE])
        for values in columns.values():
            values.clear()
        lines.clear()
        return batch

    try:
        yield from _jsonl_lines(path, names, unreadable, encoding, columns, lines, flush)
    except (EOFError, zlib.error) as exc:
        raise archive_error(path, exc) from None
    except UnicodeDecodeError as exc:
        raise LoadError(
            f"{path}: not valid {exc.encoding} ({exc.reason}); name the file's encoding "
            "with --encoding"
        ) from None
    if lines:
        yield flush()


def _jsonl_lines(
    path: Path,
    names: list[str],
    unreadable: list[UnreadableRow],
    encoding: Encoding,
    columns: dict[str, list[str | None]],
    lines: list[int],
    flush: Callable[[], pa.Table],
) -> Iterator[pa.Table]:
    with open_binary(path, encoding) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                byte = raw[exc.start : exc.start + 1].hex().upper()
                reason = (
                    f"not valid UTF-8 (byte 0x{byte}): name the file's encoding with "
                    "--encoding (e.g. --encoding cp1252)"
                )
                unreadable.append(
                    UnreadableRow(number, reason, raw[:200].decode("utf-8", "replace"))
                )
                continue
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                unreadable.append(UnreadableRow(number, reasons.invalid_json(exc.msg), text[:200]))
                continue
            if not isinstance(record, dict):
                unreadable.append(UnreadableRow(number, reasons.not_an_object(), text[:200]))
                continue
            for name in names:
                columns[name].append(_as_text(record.get(name)))
            lines.append(number)
            if len(lines) >= BATCH_ROWS // 4:
                yield flush()
