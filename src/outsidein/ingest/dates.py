"""Date and time formats: detected per column over its values, or named with ``--format``.

A text column meant for a date or timestamp is tried against each known shape: ISO 8601
(``2024-10-16``, ``2024-10-16T14:05:00Z``, also ``2024/10/16``), ``M/D/YYYY`` and
``D/M/YYYY`` (with or without ``HH:MM[:SS]``), epoch seconds and epoch milliseconds. The
shape that reads the most values wins; a value it does not read is a reject naming the
shape and the option. ``M/D/YYYY`` against ``D/M/YYYY`` is settled by a value only one of
them reads (``10/16/2024``); when every value reads both ways and some would change day,
the load is refused with the option that settles it. The first 100,000 rows decide when
they can; when they cannot, the whole column is read before anything is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from outsidein.errors import ConfigError, LoadError
from outsidein.ingest import reasons

TIME_VARIANTS = (" %H:%M:%S", " %H:%M", "")
SAMPLE_ROWS = 100_000  # of the first chunk; the whole column when they do not settle it


def literal(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class DateFormat:
    """How a column's text becomes a timestamp: strptime patterns, or epoch units."""

    label: str
    patterns: tuple[str, ...] = ()
    epoch: int = 0  # 1: seconds since 1970, 1000: milliseconds
    explicit: bool = False

    def timestamp_sql(self, raw: str) -> str:
        """``raw`` (text) as a TIMESTAMP, NULL when it does not match."""
        if self.epoch:
            digits = 10 if self.epoch == 1 else 13
            micros = 1_000_000 // self.epoch
            return (
                f"CASE WHEN regexp_full_match({raw}, '-?[0-9]{{1,{digits}}}') "
                f"THEN make_timestamp(CAST({raw} AS BIGINT) * {micros}) END"
            )
        patterns = ", ".join(literal(p) for p in self.patterns)
        return f"CAST(try_strptime({raw}, [{patterns}]) AS TIMESTAMP)"

    def pattern_for(self, value: str | None = None) -> str:
        """The ``--format`` value naming this format (the one that reads ``value``)."""
        if self.epoch:
            return "epoch" if self.epoch == 1 else "epoch_ms"
        if self.explicit:
            return self.label
        if value is None or " " not in value.strip():
            return self.patterns[-1]
        return self.patterns[1] if value.count(":") == 1 else self.patterns[0]

    def reason(self, column: str) -> str:
        how = "named" if self.explicit else "detected from its values"
        return reasons.reason(
            f"does not match the column's format {self.label} ({how})",
            f"every value in {self.label}",
            f"if the column has another format, add --format {column}=FORMAT",
        )


def _family(label: str, date: str) -> DateFormat:
    return DateFormat(label, tuple(date + t for t in TIME_VARIANTS))


MDY = _family("M/D/YYYY", "%m/%d/%Y")
DMY = _family("D/M/YYYY", "%d/%m/%Y")
EPOCH_S = DateFormat("epoch seconds", epoch=1)
EPOCH_MS = DateFormat("epoch milliseconds", epoch=1000)
ISO = DateFormat("ISO 8601")
DETECTED = {"mdy": MDY, "dmy": DMY, "epoch_s": EPOCH_S, "epoch_ms": EPOCH_MS}
NAMED = {"iso": ISO, "epoch": EPOCH_S, "epoch_s": EPOCH_S, "epoch_ms": EPOCH_MS}


def date_candidates(
    columns: Iterable[tuple[str, str]], sources: Mapping[str, str], types: Mapping[str, pa.DataType]
) -> dict[str, str]:
    """Canonical date/timestamp column -> the file's text column holding it.

    ``columns`` are (name, type) of the canonical table; typed sources (Parquet dates) need
    no format.
    """
    return {
        name: sources[name]
        for name, kind in columns
        if kind in ("date", "timestamp")
        and name in sources
        and (
            pa.types.is_string(types[sources[name]])
            or pa.types.is_large_string(types[sources[name]])
        )
    }


def parse_format_specs(specs: Iterable[str]) -> dict[str, str]:
    """``--format COLUMN=FORMAT`` options as a dict (the later of two for a column wins)."""
    formats: dict[str, str] = {}
    for spec in specs:
        column, sep, pattern = spec.partition("=")
        if not sep or not column.strip() or not pattern.strip():
            raise ConfigError(
                f"--format {spec!r}: expected COLUMN=FORMAT, e.g. created_at=%m/%d/%Y"
            )
        formats[column.strip()] = pattern.strip()
    return formats


def named_format(con: duckdb.DuckDBPyConnection, column: str, pattern: str) -> DateFormat:
    """A ``--format`` value as a format; a pattern DuckDB cannot read is refused."""
    if pattern.lower() in NAMED:
        return NAMED[pattern.lower()]
    if "%" not in pattern:
        raise ConfigError(
            f"--format {column}={pattern}: expected a strptime pattern such as %m/%d/%Y "
            "or %d.%m.%Y %H:%M, or one of: iso, epoch, epoch_ms"
        )
    try:
        con.execute("SELECT try_strptime('', ?)", [pattern]).fetchall()
    except duckdb.Error as exc:
        raise ConfigError(f"--format {column}={pattern}: {exc}") from None
    if "%H" in pattern or "%I" in pattern:
        return DateFormat(pattern, (pattern,), explicit=True)
    # A date pattern also reads the same date followed by a time (exports mix them).
    return DateFormat(pattern, tuple(pattern + t for t in TIME_VARIANTS), explicit=True)


def _counts_sql(columns: Mapping[str, str], relation: str, limit: int | None = None) -> str:
    """Per column: how many values each shape reads, and one value read two ways."""
    inner, outer = [], []
    for i, source in enumerate(columns.values()):
        raw = f"NULLIF(CAST({_ident(source)} AS VARCHAR), '')"
        inner += [f"{raw} AS r{i}", f"{MDY.timestamp_sql(raw)} AS m{i}",
                  f"{DMY.timestamp_sql(raw)} AS d{i}"]  # fmt: skip
        r = f"r{i}"
        outer += [
            f"count({r}) AS n{i}",
            f"count(*) FILTER (WHERE TRY_CAST({r} AS TIMESTAMP) IS NOT NULL "
            f"OR TRY_CAST({r} AS DATE) IS NOT NULL "
            f"OR TRY_CAST({r} AS TIMESTAMPTZ) IS NOT NULL) AS iso{i}",
            f"count(m{i}) AS mdy{i}",
            f"count(d{i}) AS dmy{i}",
            f"count(*) FILTER (WHERE regexp_full_match({r}, '-?[0-9]{{9,10}}')) AS epoch_s{i}",
            f"count(*) FILTER (WHERE regexp_full_match({r}, '-?[0-9]{{12,13}}')) AS epoch_ms{i}",
            f"min({r}) FILTER (WHERE m{i} <> d{i}) AS both{i}",
        ]
    rows = f"(SELECT * FROM {relation} LIMIT {limit})" if limit else relation
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {rows})"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Tally:
    """What the values read so far say about one column."""

    counts: dict[str, int]
    both: str | None = None

    def add(self, row: Mapping[str, object], i: int) -> None:
        for key in ("n", "iso", *DETECTED):
            self.counts[key] = self.counts.get(key, 0) + int(row[f"{key}{i}"] or 0)  # type: ignore[call-overload]
        example = row[f"both{i}"]
        if self.both is None and example is not None:
            self.both = str(example)

    def decided(self) -> bool:
        """Whether these values settle the format (M/D against D/M in particular)."""
        return self.best() not in ("mdy", "dmy") or self.counts["mdy"] != self.counts["dmy"]

    def best(self) -> str:
        counts = {k: self.counts.get(k, 0) for k in ("iso", *DETECTED)}
        top = max(counts.values())
        return "iso" if top == 0 or counts["iso"] == top else max(counts, key=counts.__getitem__)


class DateDetection:
    """The format of each date or timestamp column of one load."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        candidates: Mapping[str, str],
        named: Mapping[str, str],
    ) -> None:
        """``candidates``: canonical column -> the file's text column holding it."""
        self.con = con
        self.sources = dict(candidates)
        self.formats: dict[str, DateFormat] = {}
        known = {*candidates, *candidates.values()}
        for column in named:
            if column not in known:
                listed = ", ".join(f"{s} ({c})" for c, s in candidates.items()) or "none"
                raise ConfigError(
                    f"--format {column}=...: no date or timestamp column {column!r} in the "
                    f"file; its date columns: {listed}"
                )
        for canonical, source in candidates.items():
            pattern = named.get(source, named.get(canonical))
            if pattern is not None:
                self.formats[canonical] = named_format(con, source, pattern)
        self.pending = {c: s for c, s in candidates.items() if c not in self.formats}
        self.done = not self.pending

    def detect(
        self, relation: str, rest: Callable[[], Iterator[pa.Table]], path: object
    ) -> dict[str, DateFormat]:
        """Decide from ``relation`` (the first chunk); read ``rest()`` only if it cannot."""
        if self.done:
            return self.formats
        self.done = True
        tallies = {c: _Tally({}) for c in self.pending}
        self._tally(tallies, relation, limit=SAMPLE_ROWS)
        undecided = [c for c, t in tallies.items() if not t.decided()]
        if undecided:
            cur = self.con.cursor()
            try:
                for table in rest():
                    cur.register("_oi_dates", table)
                    self._tally({c: tallies[c] for c in undecided}, "_oi_dates", cur)
                    cur.unregister("_oi_dates")
                    undecided = [c for c in undecided if not tallies[c].decided()]
                    if not undecided:
                        break
            finally:
                cur.close()
        for canonical, tally in tallies.items():
            best = tally.best()
            if not tally.decided() and tally.both is not None:
                source = self.sources[canonical]
                raise LoadError(
                    f"{path}: column {source}: {tally.both} could be M/D/YYYY or D/M/YYYY "
                    f"(every value reads both ways): add --format "
                    f"{source}={MDY.pattern_for(tally.both)} (or --format "
                    f"{source}={DMY.pattern_for(tally.both)})",
                    column=source,
                )
            if best != "iso":
                self.formats[canonical] = DETECTED[best]
        return self.formats

    def _tally(
        self,
        tallies: Mapping[str, _Tally],
        relation: str,
        con: duckdb.DuckDBPyConnection | None = None,
        limit: int | None = None,
    ) -> None:
        sources = {c: self.sources[c] for c in tallies}
        cursor = (con or self.con).execute(_counts_sql(sources, relation, limit))
        names = [d[0] for d in cursor.description or ()]
        row = dict(zip(names, cursor.fetchall()[0], strict=True))
        for i, tally in enumerate(tallies.values()):
            tally.add(row, i)
