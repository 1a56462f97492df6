"""CSV read in parallel, in bounded chunks, with the exact line of every row.

Arrow's streaming CSV reader parses on one thread; its whole-file reader uses all cores but
holds the file in memory. This splits the file at record ends into chunks of ``CHUNK_BYTES``
and parses each with the threaded reader, so memory stays bounded and the cores stay busy.

A chunk ends at a line break outside quotes (an even number of ``"`` before it), so a
quoted value may hold line breaks; :mod:`outsidein.ingest.csv_rows` parses each chunk and
keeps each row's physical line. A line longer than the buffer is read past in bounded steps
and reported; one longer than ``MAX_RECORD_BYTES`` is reported too; the rows around load.
"""

from __future__ import annotations

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
from outsidein.ingest.csv_rows import NEWLINE, Chunk, quotes_of, too_long
from outsidein.ingest.encodings import Encoding, Transcoded

CHUNK_BYTES = 32 << 20
MAX_RECORD_BYTES = 4 << 20
LINE = "_line"


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


class _Truncated(Exception):
    """The gzip stream ended early or is damaged."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))


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
        null_values=[""],  # only an empty cell is missing: ``NA`` is North America
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    with open_binary(path, encoding) as handle:
        try:
            header_bytes(handle)  # ``names`` were read from it
            next_line = 2
            for chunk in _chunks(handle, delimiter):
                if isinstance(chunk, _Oversize):
                    unreadable.append((next_line, too_long(chunk.size, MAX_RECORD_BYTES), ""))
                    next_line += 1
                    continue
                parse = Chunk(path, chunk, names, delimiter, convert, unreadable, MAX_RECORD_BYTES)
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
