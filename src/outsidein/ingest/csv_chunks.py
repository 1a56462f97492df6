"""CSV read in parallel, in bounded chunks, with the exact line of every row.

Arrow's streaming CSV reader parses on one thread; its whole-file reader uses all cores but
holds the file in memory. This splits the file at line ends into chunks of ``CHUNK_BYTES``
and parses each with the threaded reader, so memory stays bounded and the cores stay busy.
Blank lines are skipped and rows with the wrong number of fields are reported, both without
losing track of physical line numbers. Values may not contain line breaks (the split relies
on it); such a row is reported as having the wrong number of fields.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from outsidein.errors import LoadError
from outsidein.ingest import reasons

CHUNK_BYTES = 32 << 20
LINE = "_line"


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def _chunks(handle: IO[bytes]) -> Iterator[memoryview]:
    """Pieces of the file, each ending at a line end (the last one may not).

    Read into one reused buffer, so no byte is copied after the read; a piece is valid only
    until the next one is asked for (its parse copies the values out).
    """
    buffer = bytearray(CHUNK_BYTES)
    filled = 0
    while True:
        filled = _fill(handle, buffer, filled)
        if filled == 0:
            return
        view = memoryview(buffer)
        cut = buffer.rfind(b"\n", 0, filled) + 1
        if filled < len(buffer) and cut < filled:
            cut = filled  # end of file without a final line break
        if cut == 0:  # one line longer than the buffer: make room and read on
            view.release()
            buffer.extend(bytes(len(buffer)))
            continue
        try:
            yield view[:cut]
        finally:
            view.release()
        rest = bytes(buffer[cut:filled])
        buffer[: len(rest)] = rest
        filled = len(rest)


def _fill(handle: IO[bytes], buffer: bytearray, filled: int) -> int:
    """Read until ``buffer`` is full or the file ends; return how many bytes it holds."""
    with memoryview(buffer) as view:
        while filled < len(buffer):
            count = handle.readinto(view[filled:])  # type: ignore[attr-defined]
            if not count:
                break
            filled += count
    return filled


def _nonblank_lines(chunk: memoryview, first_line: int) -> tuple[np.ndarray, int]:
    """Physical line numbers of the chunk's non-blank lines, and how many lines it holds."""
    data = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    if data[-1] != 10:
        ends = np.append(ends, len(data))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    carriage = (lengths == 1) & (data[np.minimum(starts, len(data) - 1)] == 13)
    blank = (lengths == 0) | carriage
    numbers = np.arange(first_line, first_line + len(ends), dtype=np.int64)
    return numbers[~blank], len(ends)


def csv_tables(
    path: Path, names: list[str], delimiter: str, unreadable: list[Any]
) -> Iterator[pa.Table]:
    """A table a chunk: all-text columns plus ``_line``; unparsable rows go to ``unreadable``.

    ``unreadable`` receives ``(line, reason, text)`` tuples.
    """
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    with _open_binary(path) as handle:
        handle.readline()  # the header: ``names`` were read from it
        next_line = 2
        for chunk in _chunks(handle):
            lines, physical = _nonblank_lines(chunk, next_line)
            next_line += physical
            if len(lines) == 0:
                continue
            table = _parse(path, chunk, names, delimiter, convert, lines, unreadable)
            yield table


def _parse(
    path: Path,
    data: memoryview,
    names: list[str],
    delimiter: str,
    convert: pacsv.ConvertOptions,
    lines: np.ndarray,
    unreadable: list[Any],
) -> pa.Table:
    bad: list[Any] = []

    def on_invalid(row: Any) -> str:
        bad.append(row)
        return "skip"

    def read(threads: bool) -> pa.Table:
        try:
            return pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(data)),
                read_options=pacsv.ReadOptions(use_threads=threads, column_names=names),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=False
                ),
                convert_options=convert,
            )
        except pa.ArrowInvalid as exc:
            raise LoadError(f"{path}: not readable as CSV: {exc}") from exc

    table = read(threads=True)
    if bad:
        # Only the single-threaded parser numbers the rows it skips: parse again to place them.
        bad.clear()
        table = read(threads=False)
        skipped = np.array([row.number - 1 for row in bad], dtype=np.int64)
        for row, index in zip(bad, skipped, strict=True):
            reason = reasons.fields_count(row.expected_columns, row.actual_columns)
            unreadable.append((int(lines[index]), reason, row.text[:200]))
        lines = np.delete(lines, skipped)
    return table.append_column(LINE, pa.array(lines, type=pa.int64()))
