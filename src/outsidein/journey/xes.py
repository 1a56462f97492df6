"""Reading XES event logs (IEEE 1849; ``.xes`` or ``.xes.gz``) into an Arrow table.

One row per event, with PM4Py's column names: the event's own attributes under their keys
(``concept:name``, ``time:timestamp``, ``lifecycle:transition``, ``org:resource``, ...) and the
trace's under ``case:`` (``case:concept:name`` is the case id). Typed attributes keep their
type (date -> UTC timestamp, int, float, boolean); an attribute whose values do not all read
as its declared type stays text. Nested attributes (lists, containers) are skipped.

The file is streamed (``xml.etree.ElementTree.iterparse``, expat: external entities are not
fetched); each trace is dropped once read, so memory holds the columns, not the XML tree.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pyarrow as pa
import pyarrow.compute as pc

from outsidein.journey.errors import EventLogError

__all__ = ["read_xes"]

_TYPES = {
    "string": pa.string(),
    "id": pa.string(),
    "date": pa.timestamp("us", tz="UTC"),
    "int": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
}


class _Columns:
    """Columns filled row by row; a key first seen late is padded with nulls."""

    def __init__(self) -> None:
        self.values: dict[str, list[str | None]] = {}
        self.kinds: dict[str, set[str]] = {}

    def put(self, key: str, kind: str, value: str | None, row: int, repeat: int = 1) -> None:
        col = self.values.get(key)
        if col is None:
            col = self.values[key] = []
            self.kinds[key] = set()
        if len(col) < row:
            col.extend([None] * (row - len(col)))
        if len(col) > row:  # the same key twice on one event: the last one wins
            del col[row:]
        col.extend([value] * repeat)
        self.kinds[key].add(kind)

    def table(self, n: int) -> pa.Table:
        arrays: dict[str, pa.Array] = {}
        for key, col in self.values.items():
            col.extend([None] * (n - len(col)))
            text = pa.array(col, pa.string())
            kinds = self.kinds[key]
            kind = next(iter(kinds)) if len(kinds) == 1 else "string"
            target = _TYPES.get(kind, pa.string())
            if kind == "boolean":
                text = pc.utf8_lower(text)
            try:
                arrays[key] = text if target == pa.string() else pc.cast(text, target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                arrays[key] = text
        return pa.table(arrays)


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as raw:
        magic = raw.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attributes(element: ElementTree.Element) -> Iterator[tuple[str, str, str | None]]:
    for child in element:
        kind = _local(child.tag)
        if kind in _TYPES:
            key = child.get("key")
            if key is not None:
                yield key, kind, child.get("value")


def read_xes(path: str | Path) -> pa.Table:
    """Every event of an XES file as one row (PM4Py's column names); see the module doc."""
    path = Path(path)
    if not path.is_file():
        raise EventLogError(f"{path}: no such XES file")
    cols = _Columns()
    row = 0
    try:
        with _open(path) as stream:
            parser = ElementTree.iterparse(stream, events=("start", "end"))
            root: ElementTree.Element | None = None
            trace_start = 0
            for event, elem in parser:
                if root is None:
                    root = elem
                    if _local(elem.tag) != "log":
                        raise EventLogError(
                            f"{path}: not an XES log (the root element is "
                            f"<{_local(elem.tag)}>, not <log>)"
                        )
                    continue
                if event != "end":
                    continue
                name = _local(elem.tag)
                if name == "event":
                    for key, kind, value in _attributes(elem):
                        cols.put(key, kind, value, row)
                    row += 1
                    elem.clear()
                elif name == "trace":
                    for key, kind, value in _attributes(elem):
                        cols.put("case:" + key, kind, value, trace_start, row - trace_start)
                    trace_start = row
                    root.clear()
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise EventLogError(
            f"{path}: not well-formed XML at line {line}, column {column}: {exc}"
        ) from exc
    except (OSError, EOFError) as exc:
        raise EventLogError(f"{path}: cannot be read ({exc})") from exc
    return cols.table(row)
