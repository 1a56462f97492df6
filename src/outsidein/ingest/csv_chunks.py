"""CSV read in parallel, in bounded chunks, with the exact line of every row.

Arrow's streaming CSV reader parses on one thread; its whole-file reader uses all cores but
holds the file in memory. This splits the file at record ends into chunks of ``CHUNK_BYTES``
and parses each with the threaded reader, so memory stays bounded and the cores stay busy.

A record ends at a line break outside quotes (an even number of ``"`` since the chunk's
start), so a quoted value may hold line breaks; each row keeps the physical line it starts
on. Blank lines are skipped; rows with the wrong number of fields, records longer than
``MAX_RECORD_BYTES`` and lines that are not valid UTF-8 are reported, each with its line,
and the rows around them load. A stray quote inside an unquoted value (``5" screen``) would
upset the count: the chunk is then read by Python's ``csv`` module, which agrees with Arrow.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from outsidein.errors import LoadError
from outsidein.ingest.encodings import Encoding, Transcoded

CHUNK_BYTES = 32 << 20
MAX_RECORD_BYTES = 4 << 20
LINE = "_line"
QUOTE, NEWLINE, CR = 34, 10, 13


@dataclass(frozen=True)
class _Oversize:
    """A record longer than the buffer, skipped to its end without being held."""

    size: int


def open_binary(path: Path, encoding: Encoding | None = None) -> IO[bytes]:
    """The file's bytes as UTF-8 (gunzipped, transcoded), byte-order mark included for UTF-8."""
    raw = _raw(path)
    if encoding is None or encoding.is_utf8:
        return raw
    return io.BufferedReader(Transcoded(raw, encoding), 1 << 20)


def _raw(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def archive_error(path: Path, exc: Exception) -> LoadError:
    """One line for a gzip file that ends early or is damaged: nothing of it is loaded."""
    return LoadError(
        f"{path}: the gzip archive is truncated or damaged ({exc}); nothing was loaded: "
        "compress the file again"
    )


def _chunks(handle: IO[bytes], delimiter: str) -> Iterator[memoryview | _Oversize]:
    """Pieces of the file, each ending at a record end (the last one may not).

    Read into one reused buffer, so no byte is copied after the read; a piece is valid only
    until the next one is asked for (its parse copies the values out). A line longer than
    the buffer comes as :class:`_Oversize`, read past in bounded steps.
    """
    buffer = bytearray(CHUNK_BYTES)
    filled = 0
    while True:
        filled = _fill(handle, buffer, filled)
        if filled == 0:
            return
        cut = filled
        if filled == len(buffer):
            cut = buffer.rfind(b"\n", 0, filled) + 1
            if cut and buffer.count(b'"', 0, cut) % 2:  # the break may be inside quotes
                with memoryview(buffer) as whole, whole[:filled] as full:
                    cut = _cut(full, delimiter)
        if cut == 0:
            if len(buffer) <= MAX_RECORD_BYTES:  # a small buffer: make room and read on
                buffer.extend(bytes(len(buffer)))
                continue
            size, filled = _skip_line(handle, buffer, filled)
            yield _Oversize(size)
            continue
        view = memoryview(buffer)
        try:
            yield view[:cut]
        finally:
            view.release()
        rest = bytes(buffer[cut:filled])
        buffer[: len(rest)] = rest
        filled = len(rest)


def quotes_of(data: np.ndarray, delimiter: str) -> np.ndarray:
    """Where the quotes that may open, close or escape a quoted value are.

    A quote inside an unquoted value (``5" screen``) is an ordinary character to a CSV
    reader; one with a letter on both sides is surely such a quote, and is left out.
    """
    quotes = np.flatnonzero(data == QUOTE)
    if len(quotes) == 0:
        return quotes
    delim = ord(delimiter)

    def structural(near: np.ndarray) -> np.ndarray:
        return (near == delim) | (near == NEWLINE) | (near == CR) | (near == QUOTE)

    edge = len(data) - 1
    before = structural(data[np.maximum(quotes - 1, 0)]) | (quotes == 0)
    after = structural(data[np.minimum(quotes + 1, edge)]) | (quotes == edge)
    return quotes[before | after]


def _cut(data: memoryview, delimiter: str) -> int:
    """Where a full buffer ends: after its last line break outside quotes (0: none).

    When the quotes stay open over more than a record's length, they are stray ones (a
    quote inside an unquoted value) and the last line break is taken instead.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == NEWLINE)
    if len(ends) == 0:
        return 0
    quotes = quotes_of(arr, delimiter)
    if len(quotes):
        closed = ends[np.searchsorted(quotes, ends) % 2 == 0]
        last = int(closed[-1]) + 1 if len(closed) else 0
        if len(arr) - last <= MAX_RECORD_BYTES:
            return last  # 0: a quoted value goes on past the buffer
    return int(ends[-1]) + 1


def _skip_line(handle: IO[bytes], buffer: bytearray, filled: int) -> tuple[int, int]:
    """Read past the rest of a too-long line; its size, and what the buffer now holds."""
    size = filled
    while True:
        filled = _fill(handle, buffer, 0)
        end = buffer.find(b"\n", 0, filled)
        if end >= 0 or filled == 0:
            break
        size += filled
    if end < 0:
        return size, 0
    rest = bytes(buffer[end + 1 : filled])
    buffer[: len(rest)] = rest
    return size + end + 1, len(rest)


def _fill(handle: IO[bytes], buffer: bytearray, filled: int) -> int:
    """Read until ``buffer`` is full or the file ends; return how many bytes it holds."""
    with memoryview(buffer) as view:
        while filled < len(buffer):
            try:
                count = handle.readinto(view[filled:])  # type: ignore[attr-defined]
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise _Truncated(exc) from None
            if not count:
                break
            filled += count
    return filled


class _StrayQuotes(Exception):
    """A chunk's quotes do not pair up as a CSV writer writes them."""


class _Truncated(Exception):
    """The gzip stream ended early or is damaged."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))


@dataclass
class _Records:
    """The records of a chunk: where each starts and ends, and its physical line."""

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    physical: int  # line breaks in the chunk (the next chunk's first line follows)
    quoted_breaks: bool
    first: int  # the chunk's first physical line
    unclosed: int = -1  # where a quote opens that nothing closes (-1: none)
    stray: bool = False  # a quote inside an unquoted value upsets the count


def _records(
    chunk: memoryview | bytes, first_line: int, delimiter: str, exact: bool = True
) -> _Records:
    """Split a chunk at line breaks outside quotes; blank records dropped.

    Not ``exact``: at every line break, the common case's cheap guess that Arrow checks.
    """
    data = np.frombuffer(chunk, dtype=np.uint8)
    if len(data) == 0:
        none = np.array([], dtype=np.int64)
        return _Records(none, none, none, 0, False, first_line)
    breaks = np.flatnonzero(data == NEWLINE)
    physical = len(breaks)
    if data[-1] != NEWLINE:
        breaks = np.append(breaks, len(data))
        physical += 1
    index = np.arange(len(breaks), dtype=np.int64)
    quotes = quotes_of(data, delimiter) if exact else breaks[:0]
    quoted_breaks = False
    unclosed = -1
    if len(quotes):
        outside = np.searchsorted(quotes, breaks) % 2 == 0
        if len(quotes) % 2:
            closed = breaks[outside]
            after = int(closed[-1]) if len(closed) else -1
            unclosed = int(quotes[np.searchsorted(quotes, after, side="right")])
        outside[-1] = True  # the chunk ends at a record end
        quoted_breaks = not bool(outside.all())
        breaks, index = breaks[outside], index[outside]
    starts = np.concatenate(([0], breaks[:-1] + 1))
    lines = first_line + np.concatenate(([0], index[:-1] + 1))
    lengths = breaks - starts
    last = np.minimum(starts, len(data) - 1)
    blank = (lengths == 0) | ((lengths == 1) & (data[last] == CR))
    keep = ~blank
    return _Records(
        starts[keep], breaks[keep], lines[keep], physical, quoted_breaks, first_line, unclosed
    )


def csv_tables(
    path: Path,
    names: list[str],
    delimiter: str,
    unreadable: list[Any],
    encoding: Encoding | None = None,
) -> Iterator[pa.Table]:
    """A table a chunk: all-text columns plus ``_line``; unparsable rows go to ``unreadable``.

    ``unreadable`` receives ``(line, reason, text)`` tuples.
    """
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    with open_binary(path, encoding) as handle:
        try:
            header_bytes(handle)  # ``names`` were read from it
            next_line = 2
            for chunk in _chunks(handle, delimiter):
                if isinstance(chunk, _Oversize):
                    unreadable.append((next_line, _too_long(chunk.size), ""))
                    next_line += 1
                    continue
                parse = _Chunk(path, chunk, names, delimiter, convert, unreadable)
                del chunk  # the buffer may grow for the next one: hold no view of it
                table, next_line = parse.table(next_line)
                del parse
                if table is not None:
                    yield table
        except _Truncated as exc:
            raise archive_error(path, exc) from None
        except UnicodeDecodeError as exc:
            raise LoadError(
                f"{path}: {exc.reason} (byte {exc.object[exc.start : exc.end]!r}); "
                "name the file's encoding with --encoding"
            ) from None


def header_bytes(handle: IO[bytes]) -> bytes:
    """The header record's bytes (quoted line breaks included), read past."""
    lines = []
    while line := handle.readline(MAX_RECORD_BYTES):
        lines.append(line)
        if sum(part.count(b'"') for part in lines) % 2 == 0 or len(lines) > 1000:
            break
    return b"".join(lines)


def _too_long(size: int) -> str:
    return (
        f"the line is {size:,} bytes, over the limit of {MAX_RECORD_BYTES:,} bytes a line; "
        "it was not read"
    )


@dataclass
class _Chunk:
    """One chunk's parse, with the problems of its records put aside with their lines."""

    path: Path
    data: memoryview | bytes
    names: list[str]
    delimiter: str
    convert: pacsv.ConvertOptions
    unreadable: list[Any]

    def table(self, first_line: int) -> tuple[pa.Table | None, int]:
        """The chunk's rows (None: only blank lines), and the line the next chunk starts on."""
        records = _records(self.data, first_line, self.delimiter, exact=False)
        table = self._fast(records) if len(records.lines) else None
        if table is None and len(records.lines):
            records = self.close_quotes(_records(self.data, first_line, self.delimiter))
            table = self.parse(records) if len(records.lines) else None
        self.data = b""
        return table, first_line + records.physical

    def _fast(self, records: _Records) -> pa.Table | None:
        """One row a line, as most files are; None when Arrow finds otherwise."""
        if (records.ends - records.starts > MAX_RECORD_BYTES).any():
            return None
        bad: list[Any] = []

        def on_invalid(row: Any) -> str:
            bad.append(row)
            return "skip"

        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(self.data)),
                read_options=pacsv.ReadOptions(use_threads=True, column_names=self.names),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter, invalid_row_handler=on_invalid
                ),
                convert_options=self.convert,
            )
        except pa.ArrowInvalid:
            return None
        if bad or table.num_rows != len(records.lines):
            return None
        return table.append_column(LINE, pa.array(records.lines, type=pa.int64()))

    def parse(self, records: _Records) -> pa.Table:
        if records.stray:
            return self._python(records)
        try:
            records = self._drop_long(records)
        except _StrayQuotes:
            return self._python(records)
        try:
            table, lines = self._arrow(records, threads=True)
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc):
                return self._python(records)
            records = self._drop_invalid_utf8(records)
            try:
                table, lines = self._arrow(records, threads=True)
            except pa.ArrowInvalid:
                return self._python(records)
        if table.num_rows != len(lines):
            return self._python(records)
        return table.append_column(LINE, pa.array(lines, type=pa.int64()))

    def _drop(self, records: _Records, bad: np.ndarray, reasons: list[str]) -> _Records:
        """Put records aside (rejects), leaving their line breaks so the lines stay exact."""
        pieces, done = [], 0
        for index, reason in zip(np.flatnonzero(bad), reasons, strict=True):
            start, end = int(records.starts[index]), int(records.ends[index])
            text = bytes(self.data[start : min(end, start + 200)]).decode("utf-8", "replace")
            self.unreadable.append((int(records.lines[index]), reason, text))
            pieces.append(bytes(self.data[done:start]))
            pieces.append(b"\n" * bytes(self.data[start:end]).count(b"\n"))
            done = end
        pieces.append(bytes(self.data[done:]))
        self.data = b"".join(pieces)
        again = _records(self.data, records.first, self.delimiter)
        return _Records(
            again.starts, again.ends, again.lines, records.physical, again.quoted_breaks,
            records.first, again.unclosed,
        )  # fmt: skip

    def close_quotes(self, records: _Records) -> _Records:
        """A line whose opening quote is never closed is a reject; the lines after it load."""
        while records.unclosed >= 0:
            at = records.unclosed
            if at > 0 and self.data[at - 1] not in (ord(self.delimiter), NEWLINE, CR):
                # Not at a value's start: an ordinary character (``Screen 5"``), which
                # only the csv module's reading of the chunk places right.
                records.stray = True
                return records
            index = int(np.searchsorted(records.ends, at))
            if index >= len(records.starts):
                break
            # The record runs from its start to the chunk's end: cut it back to one line.
            start = int(records.starts[index])
            data = bytes(self.data)
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            line = int(records.lines[index]) + data.count(b"\n", start, at)
            reason = "a quote opened here is never closed; the line was not read"
            self.unreadable.append((line, reason, data[start:end][:200].decode("utf-8", "replace")))
            prefix = data[:start] + b"\n" * data.count(b"\n", start, at)
            self.data = prefix + data[end:]
            again = _records(self.data, records.first, self.delimiter)
            records = _Records(
                again.starts, again.ends, again.lines, records.physical, again.quoted_breaks,
                records.first, again.unclosed if again.unclosed != records.unclosed else -1,
            )  # fmt: skip
        return records

    def _drop_long(self, records: _Records) -> _Records:
        lengths = records.ends - records.starts
        long = lengths > MAX_RECORD_BYTES
        if not long.any():
            return records
        if records.quoted_breaks:
            raise _StrayQuotes  # or a long quoted value: only the csv module can tell
        return self._drop(records, long, [_too_long(int(n)) for n in lengths[long]])

    def _drop_invalid_utf8(self, records: _Records) -> _Records:
        bad = np.zeros(len(records.lines), dtype=bool)
        reasons = []
        for index, (start, end) in enumerate(zip(records.starts, records.ends, strict=True)):
            try:
                bytes(self.data[int(start) : int(end)]).decode("utf-8")
            except UnicodeDecodeError as exc:
                bad[index] = True
                byte = exc.object[exc.start : exc.start + 1]
                reasons.append(
                    f"not valid UTF-8 (byte 0x{byte.hex().upper()}): name the file's "
                    "encoding with --encoding (e.g. --encoding cp1252)"
                )
        return self._drop(records, bad, reasons)

    def _arrow(self, records: _Records, threads: bool) -> tuple[pa.Table, np.ndarray]:
        bad: list[Any] = []

        def on_invalid(row: Any) -> str:
            bad.append(row)
            return "skip"

        def read(threads: bool) -> pa.Table:
            return pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(self.data)),
                read_options=pacsv.ReadOptions(use_threads=threads, column_names=self.names),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    invalid_row_handler=on_invalid,
                    newlines_in_values=records.quoted_breaks,
                ),
                convert_options=self.convert,
            )

        table = read(threads)
        lines = records.lines
        if bad:
            # Only the single-threaded parser numbers the rows it skips: parse again to place them.
            bad.clear()
            table = read(threads=False)
            skipped = np.array([row.number - 1 for row in bad], dtype=np.int64)
            if len(skipped) and skipped.max() >= len(lines):
                return table, np.array([], dtype=np.int64)  # counts disagree: the slow path
            for row, index in zip(bad, skipped, strict=True):
                reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
                self.unreadable.append((int(lines[index]), reason, row.text[:200]))
            lines = np.delete(lines, skipped)
        return table, lines

    def _python(self, records: _Records) -> pa.Table:
        """Parse with Python's csv module: slower, but it numbers every record's line."""
        text = bytes(self.data).decode("utf-8", "replace")
        first = records.first
        columns: list[list[str | None]] = [[] for _ in self.names]
        lines: list[int] = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        at = 0
        limit = csv.field_size_limit(MAX_RECORD_BYTES)
        try:
            for row in reader:
                line, at = first + at, reader.line_num
                if not row or row == [""]:
                    continue
                size = sum(len(value) for value in row)
                if size > MAX_RECORD_BYTES or len(row) != len(self.names):
                    reason = (
                        _too_long(size)
                        if size > MAX_RECORD_BYTES
                        else f"expected {len(self.names)} fields, found {len(row)}"
                    )
                    self.unreadable.append((line, reason, self.delimiter.join(row)[:200]))
                    continue
                for values, value in zip(columns, row, strict=True):
                    values.append(value or None)
                lines.append(line)
        except csv.Error as exc:
            self.unreadable.append((first + at, f"not readable as CSV: {exc}", ""))
        finally:
            csv.field_size_limit(limit)
        arrays = [pa.array(values, type=pa.string()) for values in columns]
        arrays.append(pa.array(lines, type=pa.int64()))
        return pa.Table.from_arrays(arrays, names=[*self.names, LINE])
