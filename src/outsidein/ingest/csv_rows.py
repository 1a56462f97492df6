"""One chunk of a CSV file parsed by Arrow, each row with its line, its problems put aside.

:mod:`outsidein.ingest.csv_chunks` cuts the file into chunks at record ends; this parses one.
Most chunks hold one row a line, which Arrow's threaded parser checks at once. Otherwise the
chunk is split exactly at line breaks outside quotes (a quoted value may span lines), and
what cannot be a row becomes a reject with its line: a quote opened and never closed, a
record over the size limit, a line that is not UTF-8, a row with the wrong number of fields.
A stray quote inside an unquoted value (``5" screen``) sends the chunk to Python's ``csv``
module, which reads it as Arrow does and numbers every record's line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from outsidein.ingest import reasons

LINE = "_line"
QUOTE, NEWLINE, CR = 34, 10, 13


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
        found: np.ndarray = (near == delim) | (near == NEWLINE) | (near == CR) | (near == QUOTE)
        return found

    edge = len(data) - 1
    before = structural(data[np.maximum(quotes - 1, 0)]) | (quotes == 0)
    after = structural(data[np.minimum(quotes + 1, edge)]) | (quotes == edge)
    kept: np.ndarray = quotes[before | after]
    return kept


class _StrayQuotes(Exception):
    """A chunk's quotes do not pair up as a CSV writer writes them."""


@dataclass
class Records:
    """The records of a chunk: where each starts and ends, and its physical line."""

    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    physical: int  # line breaks in the chunk (the next chunk's first line follows)
    quoted_breaks: bool
    first: int  # the chunk's first physical line
    unclosed: int = -1  # where a quote opens that nothing closes (-1: none)
    stray: bool = False  # a quote inside an unquoted value upsets the count


def records_of(
    chunk: memoryview | bytes, first_line: int, delimiter: str, exact: bool = True
) -> Records:
    """Split a chunk at line breaks outside quotes; blank records dropped.

    Not ``exact``: at every line break, the common case's cheap guess that Arrow checks.
    """
    data = np.frombuffer(chunk, dtype=np.uint8)
    if len(data) == 0:
        none = np.array([], dtype=np.int64)
        return Records(none, none, none, 0, False, first_line)
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
    return Records(
        starts[keep], breaks[keep], lines[keep], physical, quoted_breaks, first_line, unclosed
    )


def too_long(size: int, limit: int) -> str:
    return f"the line is {size:,} bytes, over the limit of {limit:,} bytes a line; it was not read"


@dataclass
class Chunk:
    """One chunk's parse, with the problems of its records put aside with their lines."""

    path: Path
    data: memoryview | bytes
    names: list[str]
    delimiter: str
    convert: pacsv.ConvertOptions
    unreadable: list[Any]
    max_record: int

    def table(self, first_line: int) -> tuple[pa.Table | None, int]:
        """The chunk's rows (None: only blank lines), and the line the next chunk starts on."""
        records = records_of(self.data, first_line, self.delimiter, exact=False)
        table = self._fast(records) if len(records.lines) else None
        if table is None and len(records.lines):
            records = self.close_quotes(records_of(self.data, first_line, self.delimiter))
            table = self.parse(records) if len(records.lines) else None
        self.data = b""
        return table, first_line + records.physical

    def _fast(self, records: Records) -> pa.Table | None:
        """One row a line, as most files are; None when Arrow finds otherwise."""
        if (records.ends - records.starts > self.max_record).any():
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

    def parse(self, records: Records) -> pa.Table:
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

    def _drop(self, records: Records, bad: np.ndarray, reasons: list[str]) -> Records:
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
        again = records_of(self.data, records.first, self.delimiter)
        return Records(
            again.starts, again.ends, again.lines, records.physical, again.quoted_breaks,
            records.first, again.unclosed,
        )  # fmt: skip

    def close_quotes(self, records: Records) -> Records:
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
            again = records_of(self.data, records.first, self.delimiter)
            records = Records(
                again.starts, again.ends, again.lines, records.physical, again.quoted_breaks,
                records.first, again.unclosed if again.unclosed != records.unclosed else -1,
            )  # fmt: skip
        return records

    def _drop_long(self, records: Records) -> Records:
        lengths = records.ends - records.starts
        long = lengths > self.max_record
        if not long.any():
            return records
        if records.quoted_breaks:
            raise _StrayQuotes  # or a long quoted value: only the csv module can tell
        return self._drop(records, long, [too_long(int(n), self.max_record) for n in lengths[long]])

    def _drop_invalid_utf8(self, records: Records) -> Records:
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

    def _arrow(self, records: Records, threads: bool) -> tuple[pa.Table, np.ndarray]:
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
                reason = reasons.fields_count(row.expected_columns, row.actual_columns)
                self.unreadable.append((int(lines[index]), reason, row.text[:200]))
            lines = np.delete(lines, skipped)
        return table, lines

    def _python(self, records: Records) -> pa.Table:
        """Parse with Python's csv module: slower, but it numbers every record's line."""
        text = bytes(self.data).decode("utf-8", "replace")
        first = records.first
        columns: list[list[str | None]] = [[] for _ in self.names]
        lines: list[int] = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        at = 0
        limit = csv.field_size_limit(self.max_record)
        try:
            for row in reader:
                line, at = first + at, reader.line_num
                if not row or row == [""]:
                    continue
                size = sum(len(value) for value in row)
                if size > self.max_record or len(row) != len(self.names):
                    reason = (
                        too_long(size, self.max_record)
                        if size > self.max_record
                        else reasons.fields_count(len(self.names), len(row))
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
