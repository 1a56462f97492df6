"""Parquet output with the canonical columns, written incrementally and deterministically.

Generators hand over batches as numpy arrays or Arrow arrays; a sink converts them to the
types of ``store.tables``, drops rows dated on or after ``as_of``, numbers the key column,
and writes fixed-size row groups (and, for events, fixed-size part files), so memory stays
bounded and the same input always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outsidein.store.tables import TABLES

ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "json": pa.string(),
    "int": pa.int32(),
    "decimal": pa.decimal128(18, 2),
    "double": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
}
NULL_DAY = 2**30  # day numbers at or above this (or below 0) are written as null
Columns = Mapping[str, Any]


def arrow_schema(kind: str, dictionary: tuple[str, ...] = ()) -> pa.Schema:
    """The Arrow schema of a canonical table (without ``source``/``loaded_at``)."""
    fields = []
    for col in TABLES[kind].columns:
        typ = ARROW_TYPES[col.type]
        if col.name in dictionary:
            typ = pa.dictionary(pa.int32(), typ)
        fields.append(pa.field(col.name, typ, nullable=not col.required))
    return pa.schema(fields)


def to_arrow(values: Any, typ: pa.DataType) -> pa.Array:
    """Convert one column; numpy sentinels mark nulls (negative ints and dates, NaN floats)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values if values.type == typ else values.cast(typ)
    arr = np.asarray(values)
    if pa.types.is_timestamp(typ):
        ints = arr.astype(np.int64)
        return pa.array(ints.astype("datetime64[us]"), typ, mask=ints < 0)
    if pa.types.is_date32(typ):
        ints = arr.astype(np.int64)
        mask = (ints < 0) | (ints >= NULL_DAY)
        return pa.array(np.where(mask, 0, ints).astype(np.int32), pa.int32(), mask=mask).view(typ)
    if pa.types.is_decimal(typ) or pa.types.is_floating(typ):
        floats = np.round(arr.astype(np.float64), 2) if pa.types.is_decimal(typ) else arr
        return pa.array(floats.astype(np.float64), mask=np.isnan(floats)).cast(typ)
    if pa.types.is_integer(typ):
        ints = arr.astype(np.int64)
        return pa.array(ints, mask=ints < 0).cast(typ)
    return pa.array(arr, typ)


def make_ids(prefix: str, start: int, count: int, width: int = 0) -> pa.Array:
    """``prefix`` + a running number, built column-wise (no Python loop per row)."""
    digits = pc.cast(pa.array(np.arange(start, start + count, dtype=np.int64)), pa.string())
    if width:
        digits = pc.utf8_lpad(digits, width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


class TableSink:
    """Writes one canonical table as a Parquet file, or as a folder of parts.

    ``id_prefix`` numbers the key column in write order; ``time_column`` rows at or after
    ``end_us`` are dropped (nothing in the data may be dated on or after ``as_of``);
    ``background`` writes in a worker thread while the caller generates the next batch.
    """

    def __init__(
        self,
        path: Path,
        kind: str,
        *,
        id_prefix: str | None = None,
        id_width: int = 0,
        time_column: str | None = None,
        end_us: int | None = None,
        row_group_rows: int = 1_000_000,
        part_rows: int | None = None,
        dictionary: tuple[str, ...] = (),
        background: bool = False,
    ) -> None:
        self.path = path
        self.kind = kind
        self.schema = arrow_schema(kind, dictionary)
        self.key = TABLES[kind].key
        self.id_prefix = id_prefix
        self.id_width = id_width
        self.time_column = time_column
        self.end_us = end_us
        self.row_group_rows = (
            row_group_rows if part_rows is None else min(row_group_rows, part_rows)
        )
        self.part_rows = part_rows
        key_columns = {c.name for c in TABLES[kind].columns if c.name == self.key}
        texts = [f.name for f in self.schema if f.name not in key_columns]
        self._dictionary_columns = [
            n for n in texts if pa.types.is_string(self.schema.field(n).type) or n in dictionary
        ]
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer: pq.ParquetWriter | None = None
        self._in_part = 0
        self.parts: list[Path] = []
        self.rows = 0
        # Writing in a worker thread overlaps compression and I/O (which release the GIL)
        # with generating the next batch; one worker keeps the row order.
        self._pool = ThreadPoolExecutor(max_workers=1) if background else None
        self._pending: Future[None] | None = None

    def next_ids(self, count: int) -> pa.Array:
        """The keys the next ``count`` rows written will get (to refer to them elsewhere)."""
        assert self.id_prefix is not None, f"{self.kind}: no id_prefix"
        return make_ids(self.id_prefix, self.rows + self._buffered + 1, count, self.id_width)

    def write(self, columns: Columns) -> None:
        """Add a batch; columns not given are null (the key is numbered when ``id_prefix``)."""
        cols = dict(columns)
        if self.time_column is not None and self.end_us is not None:
            times = cols[self.time_column]
            if isinstance(times, np.ndarray):
                keep = times < self.end_us
                if not keep.all():
                    cols = {k: _take(v, keep) for k, v in cols.items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) != 1:
            raise ValueError(f"{self.kind}: columns of different lengths {lengths}")
        count = lengths.pop()
        if count == 0:
            return
        if self.id_prefix is not None and self.key not in cols:
            start = self.rows + self._buffered + 1
            cols[self.key] = make_ids(self.id_prefix, start, count, self.id_width)
        arrays = []
        for f in self.schema:
            if f.name in cols:
                arrays.append(to_arrow(cols[f.name], f.type))
            else:
                arrays.append(pa.nulls(count, f.type))
        self._buffer.append(pa.Table.from_arrays(arrays, schema=self.schema))
        self._buffered += count
        while self._buffered >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _open(self) -> pq.ParquetWriter:
        if self.part_rows is None:
            target = self.path
        else:
            target = self.path / f"part-{len(self.parts):05d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.parts.append(target)
        self._in_part = 0
        return pq.ParquetWriter(
            target,
            self.schema,
            compression="zstd",
            use_dictionary=self._dictionary_columns,
            store_schema=False,
            write_statistics=True,
        )

    def _flush(self, rows: int) -> None:
        table = pa.concat_tables(self._buffer)
        head, rest = table.slice(0, rows), table.slice(rows)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered -= rows
        self.rows += rows
        if self._pool is None:
            self._write_rows(head)
            return
        if self._pending is not None:
            self._pending.result()  # at most one batch in flight: memory stays bounded
        self._pending = self._pool.submit(self._write_rows, head)

    def _write_rows(self, table: pa.Table) -> None:
        while table.num_rows:
            if self._writer is None:
                self._writer = self._open()
            room = table.num_rows
            if self.part_rows is not None:
                room = min(room, self.part_rows - self._in_part)
            self._writer.write_table(table.slice(0, room), row_group_size=room)
            table = table.slice(room)
            self._in_part += room
            if self.part_rows is not None and self._in_part >= self.part_rows:
                self._writer.close()
                self._writer = None

    def close(self) -> int:
        """Write what is buffered and finish the file(s); an empty table still gets a file."""
        if self._buffered:
            self._flush(self._buffered)
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._writer is None and not self.parts:
            self._writer = self._open()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.rows


def _take(values: Any, keep: np.ndarray) -> Any:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.filter(pa.array(keep))
    return np.asarray(values)[keep]


def write_table(path: Path, kind: str, columns: Columns) -> int:
    """Write a small table in one go."""
    sink = TableSink(path, kind)
    sink.write(columns)
    return sink.close()
