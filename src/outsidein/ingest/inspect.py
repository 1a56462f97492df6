"""The mapping assistant: what a file's columns hold, and where each should go.

``outsidein load KIND FILE --inspect`` reads the first rows of a file (through the same
readers a load uses: encodings, .xlsx, CSV records), infers each column's type and format
(dates through :class:`~outsidein.ingest.dates.DateDetection`, the detector a load uses),
and proposes a target among the kind's columns: by name first (normalised, with the
synonyms real exports use: ``Record ID``, ``customer``, ``CloseDate``, ``$group_0``), then by
content (emails, dates, amounts, flags). The proposal is a :class:`LoadSpec` with the
transforms it needs (``formats`` for dates, value maps onto allowed values), which the
preview (:mod:`outsidein.ingest.inspect_preview`) loads into a scratch store to show the
first rejects, and ``--save`` writes into ``[load.KIND]`` of outsidein.toml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from outsidein.errors import LoadError
from outsidein.ingest.dates import DateDetection
from outsidein.ingest.formats import ReadOptions, check_readable, detect_format, file_tables
from outsidein.ingest.synonyms import CONTENT_TARGETS, VALUE_SYNONYMS, name_targets
from outsidein.settings.load import LoadSpec
from outsidein.store.tables import TABLES, Table

__all__ = ["ColumnGuess", "Inspection", "inspect_file", "normalise"]

SAMPLE_ROWS = 1000
SHOWN_VALUES = 3
DISTINCT = 50

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.I)
_INT = re.compile(r"-?\d{1,18}")
_NUMBER = re.compile(r"-?[$€£¥]?\s?\d[\d,]*(\.\d+)?\s?[€]?")
_BOOL = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_DATEISH = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}.*)?")
_URL = re.compile(r"(https?://|www\.)\S+", re.I)


def normalise(name: str) -> str:
    """A column name as words joined by ``_``: ``CloseDate`` -> ``close_date``,
    ``Country/Region`` -> ``country_region``, ``$group_0`` -> ``group_0``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


@dataclass
class ColumnGuess:
    """One column of the file: what it holds and where the assistant would put it."""

    name: str
    inferred: str  # empty, bool, int, number, date, timestamp, epoch, email, url, text
    format: str | None = None  # a date's --format value, when not ISO
    values: list[str] = field(default_factory=list)
    distinct: list[str] = field(default_factory=list)  # up to DISTINCT, for value maps
    filled: float = 0.0  # share of sampled rows with a value
    target: str | None = None
    why: str = ""  # "name" or "content: ..."
    value_map: dict[str, str] = field(default_factory=dict)


@dataclass
class Inspection:
    """The assistant's reading of one file for one kind."""

    kind: str
    file: str
    rows_sampled: int
    columns: list[ColumnGuess]
    spec: LoadSpec
    formats: dict[str, str]
    unmapped_required: list[str]

    @property
    def mapping(self) -> dict[str, str]:
        return {c.name: c.target for c in self.columns if c.target}


def inspect_file(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    options: ReadOptions | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> Inspection:
    """Read the first ``sample_rows`` rows of ``path`` and propose how they load as ``kind``."""
    table = _table(kind)
    check_readable(path)
    fmt = detect_format(path)
    options = options or ReadOptions()
    sample = _sample(path, fmt, options, sample_rows)
    columns = [_guess(name, sample.column(name).to_pylist()) for name in _names(sample)]
    _date_formats(con, sample, columns)
    _propose(table, columns)
    spec, formats = _spec(table, columns)
    required = [
        c.name
        for c in table.columns
        if c.required and c.default is None and c.name not in spec_targets(spec)
    ]
    return Inspection(kind, str(path), sample.num_rows, columns, spec, formats, required)


def spec_targets(spec: LoadSpec) -> set[str]:
    """Targets a spec gives a value to."""
    found = {t for ts in spec.map.values() for t in ([ts] if isinstance(ts, str) else ts)}
    return found | set(spec.set) | set(spec.coalesce) | set(spec.derive)


def _table(kind: str) -> Table:
    try:
        return TABLES[kind]
    except KeyError:
        raise LoadError(f"unknown kind {kind!r}; one of: {', '.join(TABLES)}") from None


def _names(sample: pa.Table) -> list[str]:
    return [n for n in sample.column_names if n != "_line"]


def _sample(path: Path, fmt: str, options: ReadOptions, rows: int) -> pa.Table:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        head = pq.ParquetFile(path).iter_batches(batch_size=rows)
        batch = next(head, None)
        if batch is None:
            return pa.table({})
        return pa.Table.from_batches([batch]).cast(
            pa.schema([pa.field(f.name, pa.string()) for f in batch.schema])
        )
    tables: Iterator[pa.Table] = file_tables(path, fmt, options)
    try:
        first = next(tables, None)
    finally:
        close = getattr(tables, "close", None)
        if close:
            close()
    if first is None:
        raise LoadError(f"{path}: no rows to inspect")
    return first.slice(0, rows)


def _guess(name: str, raw: list[object]) -> ColumnGuess:
    values = [str(v).strip() for v in raw if v is not None and str(v).strip() != ""]
    guess = ColumnGuess(name, "empty", filled=len(values) / len(raw) if raw else 0.0)
    guess.distinct = list(dict.fromkeys(values))[:DISTINCT]
    guess.values = guess.distinct[:SHOWN_VALUES]
    if not values:
        return guess
    lower = {v.lower() for v in values}

    def share(pattern: re.Pattern[str]) -> float:
        return sum(1 for v in values if pattern.fullmatch(v)) / len(values)

    if lower <= _BOOL:
        guess.inferred = "bool"
    elif share(_EMAIL) >= 0.9:
        guess.inferred = "email"
    elif share(_URL) >= 0.9:
        guess.inferred = "url"
    elif share(_INT) == 1.0:
        digits = {len(v.lstrip("-")) for v in values}
        if digits <= {9, 10} and all(int(v) > 100_000_000 for v in values):
            guess.inferred, guess.format = "epoch", "epoch"
        elif digits <= {12, 13} and all(int(v) > 100_000_000_000 for v in values):
            guess.inferred, guess.format = "epoch", "epoch_ms"
        else:
            guess.inferred = "int"
    elif share(_NUMBER) >= 0.9 and any(c.isdigit() for c in values[0]):
        guess.inferred = "number"
    elif share(_DATEISH) >= 0.9:
        has_time = any(re.search(r"\d:\d{2}", v) for v in values)
        guess.inferred = "timestamp" if has_time else "date"
    else:
        guess.inferred = "text"
    return guess


def _date_formats(
    con: duckdb.DuckDBPyConnection, sample: pa.Table, cols: list[ColumnGuess]
) -> None:
    """The format of each date-like column, decided as a load decides it."""
    dated = {c.name: c.name for c in cols if c.inferred in ("date", "timestamp")}
    if not dated:
        return
    cur = con.cursor()
    try:
        cur.register("_oi_inspect", sample)
        for name in dated:  # one at a time: an ambiguous column names itself
            try:
                found = DateDetection(cur, {name: name}, {}).detect(
                    "_oi_inspect", lambda: iter(()), "file"
                )
            except LoadError:
                found, ambiguous = {}, True
            else:
                ambiguous = False
            guess = next(c for c in cols if c.name == name)
            if ambiguous:
                guess.format = "ambiguous: M/D/YYYY or D/M/YYYY"
            elif name in found:
                guess.format = found[name].pattern_for(guess.values[0] if guess.values else None)
    finally:
        cur.close()


def _fits(col: ColumnGuess, table: Table, target: str) -> bool:
    """Whether the column's content can be the target's (a date for a date, ...)."""
    kind = table.column(target).type
    if col.inferred == "empty":
        return True
    if kind in ("date", "timestamp"):
        return col.inferred in ("date", "timestamp", "epoch")
    if kind in ("int", "decimal", "double"):
        return col.inferred in ("int", "number")
    if kind == "bool":
        return col.inferred in ("bool", "int")
    return True


def _propose(table: Table, cols: list[ColumnGuess]) -> None:
    """By name first, closest names first (exact, the key, then synonyms in their order),
    then by content for what is left."""
    offers = sorted(
        (rank, i, target)
        for i, col in enumerate(cols)
        for target, rank in name_targets(table, normalise(col.name))
        if _fits(col, table, target)
    )
    taken: set[str] = set()
    for _, i, target in offers:
        if cols[i].target is None and target not in taken:
            cols[i].target, cols[i].why = target, "name"
            taken.add(target)
    for col in cols:
        if col.target or col.inferred in ("empty", "text", "url"):
            continue
        for target in CONTENT_TARGETS.get((table.name, col.inferred), ()):
            if target not in taken:
                col.target, col.why = target, f"content: {col.inferred}"
                taken.add(target)
                break
    for col in cols:
        if col.target:
            col.value_map = _value_map(table, col)


def _value_map(table: Table, col: ColumnGuess) -> dict[str, str]:
    """File values onto the target's allowed values, where the words say which."""
    allowed = table.column(col.target or "").allowed
    if not allowed:
        return {}
    known = VALUE_SYNONYMS.get(col.target or "", {})
    mapped: dict[str, str] = {}
    for value in col.distinct:
        word = normalise(value)
        if word in allowed:
            continue
        to = known.get(word) or next((a for a in allowed if a.startswith(word[:4])), None)
        if to:
            mapped[value] = to
    return mapped


def _spec(table: Table, cols: list[ColumnGuess]) -> tuple[LoadSpec, dict[str, str]]:
    spec = LoadSpec()
    formats: dict[str, str] = {}
    for col in cols:
        if not col.target:
            continue
        spec.map[col.name] = col.target
        if col.format and not col.format.startswith("ambiguous"):
            formats[col.name] = col.format
        if col.value_map:
            spec.values[col.target] = dict(col.value_map)
    return spec, formats
