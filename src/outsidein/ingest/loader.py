"""Load one file of one kind into the store: validate, check, then commit atomically.

The file streams in parts, each validated in SQL; whole-file checks follow (duplicate
keys, references, external ids); one transaction then holds the good rows, every reject
and the load log entry. Entities take the staged path (:mod:`outsidein.ingest.staging`),
append-only facts the append path (:mod:`outsidein.ingest.append`). A crash before COMMIT
leaves the store exactly as it was; a file already loaded (same bytes, kind and mapping)
is recognised by its SHA-256 and changes nothing, unless every row of it was rejected then.
Each load of a file replaces the rejects its earlier loads left (:func:`staging.record_load`).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pyarrow as pa

from outsidein.errors import LoadError
from outsidein.ingest import custom_fields
from outsidein.ingest.append import AppendLoad, NeedsStaging
from outsidein.ingest.dates import DateDetection, DateFormat, date_candidates
from outsidein.ingest.formats import (
    ReadOptions,
    UnreadableRow,
    check_readable,
    detect_format,
    file_tables,
    source_relations,
)
from outsidein.ingest.link_keys import apply_link_key
from outsidein.ingest.reconcile import Reconcile
from outsidein.ingest.resolve import file_columns, map_columns
from outsidein.ingest.result import LoadResult, RejectRow
from outsidein.ingest.staging import Stage, StagedLoad
from outsidein.ingest.transforms import Plan, compile_plan, transformed
from outsidein.ingest.validate import DateBounds, validation_sql
from outsidein.precedence import PrecedenceConfig
from outsidein.settings.load import LoadSpec
from outsidein.settings.store import StoreConfig
from outsidein.store.tables import TABLES, Table

__all__ = ["LoadResult", "RejectRow", "file_fingerprint", "load_file"]

Progress = Callable[[int], None]
SAMPLE_REJECTS = 20


def file_fingerprint(
    path: Path,
    kind: str,
    mapping: Mapping[str, str],
    id_system: str | None,
    options: ReadOptions | None = None,
) -> str:
    """SHA-256 of the bytes plus how they were read: the same file mapped differently is new."""
    digest = hashlib.sha256()
    read = (options or ReadOptions()).fingerprint()
    digest.update(json.dumps([kind, sorted(mapping.items()), id_system, *read]).encode())
    with open(path, "rb") as handle:
        while chunk := handle.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_file(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    id_system: str | None = None,
    strict: bool = False,
    config: StoreConfig | None = None,
    precedence: PrecedenceConfig | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    transforms: LoadSpec | None = None,
    options: ReadOptions | None = None,
    reconcile: Reconcile | None = None,
) -> LoadResult:
    """Load ``path`` as ``kind``; good rows land, bad rows go to ``rejects``.

    With ``strict`` any reject refuses the whole file (nothing is written) by raising
    :class:`LoadError` that lists the first problems. The file's fingerprint is computed in
    a thread while the first rows are read; a file loaded before stops the load there.
    ``precedence`` says which stored account and contact values the file may replace.
    ``name`` is what the load log and rejects call the file (default: its full path), e.g.
    the client's path of a file uploaded to the server. ``transforms`` (value maps,
    constants, derivations, filters, keys, aggregation: :mod:`outsidein.ingest.transforms`)
    are checked against the file before any row is read. ``options`` name an encoding, a
    sheet, date formats. ``reconcile`` says what the load changes beyond its rows
    (a full list's missing rows, churn records ending subscriptions, superseded upgrades:
    :mod:`outsidein.ingest.reconcile`), in the same transaction.
    """
    started = time.perf_counter()
    table = _table(kind)
    path = Path(path)
    check_readable(path)
    fmt = detect_format(path)
    options = options or ReadOptions()
    spec = transforms or LoadSpec()
    mapping, spec, id_system, match_key = apply_link_key(kind, mapping or {}, spec, id_system)
    if not spec.is_empty():  # how the file is read is part of its fingerprint
        mapping["~transforms"] = spec.model_dump_json(exclude_defaults=True)
    reconcile = reconcile or Reconcile()
    reconcile.check(kind)
    mapping.update(reconcile.fingerprint(kind))
    config = config or StoreConfig()
    result = LoadResult(uuid.uuid4().hex, kind, name or str(path.resolve()), fmt)
    with ThreadPoolExecutor(1, thread_name_prefix="outsidein-fingerprint") as hashing:
        digest = hashing.submit(file_fingerprint, path, kind, mapping, id_system, options)
        load = _Load(
            con, table, path, fmt, mapping, id_system, strict, config, progress, digest,
            precedence or PrecedenceConfig(), spec, options, reconcile, match_key,
        )  # fmt: skip
        try:
            try:
                load.run(result, append=table.append_only)
            except NeedsStaging:
                load.run(result, append=False)
        except _AlreadyLoaded as known:
            result.already_loaded = True
            result.rows_read, result.rows_unchanged, result.rows_rejected = known.counts
    result.seconds = time.perf_counter() - started
    return result


class _AlreadyLoaded(Exception):
    """The same file (bytes, kind and mapping) was loaded before: nothing is to change."""

    def __init__(self, counts: tuple[int, int, int]) -> None:
        super().__init__("already loaded")
        self.counts = counts


@dataclass
class _Load:
    """One attempt at loading a file, on the append or the staged path."""

    con: duckdb.DuckDBPyConnection
    table: Table
    path: Path
    fmt: str
    mapping: dict[str, str]
    id_system: str | None
    strict: bool
    config: StoreConfig
    progress: Progress | None
    digest: Future[str]
    precedence: PrecedenceConfig
    spec: LoadSpec
    options: ReadOptions
    reconcile: Reconcile
    match_key: str | None = None  # a column rows are matched on (link_key = "email")
    looked_up: bool = False

    def check_earlier(self, wait: bool) -> None:
        """Stop with :class:`_AlreadyLoaded` once the fingerprint is known and was seen."""
        if self.looked_up or not (wait or self.digest.done()):
            return
        self.looked_up = True
        # A load whose every row was rejected stored nothing: the same file runs again.
        earlier = self.con.execute(
            "SELECT rows_read, rows_loaded, rows_rejected FROM load_log "
            "WHERE file_sha256 = ? AND kind = ? AND (rows_rejected < rows_read OR rows_read = 0) "
            "ORDER BY finished_at DESC LIMIT 1",
            [self.digest.result(), self.table.name],
        ).fetchall()
        if earlier:
            read, loaded, rejected = earlier[0]
            raise _AlreadyLoaded((int(read), int(loaded), int(rejected)))

    def named_formats(self, plan: Plan) -> dict[str, str]:
        return _named_formats(self.options.formats, plan)

    def condition_formats(
        self, columns: set[str], types: Mapping[str, pa.DataType]
    ) -> dict[str, DateFormat]:
        """The date formats of the text columns conditions compare with dates, decided by
        the file's values as a date column's are (an ambiguous one asks for --format)."""
        text = {c: c for c in columns if pa.types.is_string(types.get(c, pa.string()))}
        named = {c: f for c, f in self.options.formats.items() if c in text}
        tables = file_tables(self.path, self.fmt, self.options)
        try:
            first = next(tables, None)
        finally:
            tables.close()  # type: ignore[attr-defined]
        if first is None or not text:
            return {}
        cur = self.con.cursor()
        try:
            cur.register("_oi_condition_dates", first)
            return DateDetection(cur, text, named).detect(
                "_oi_condition_dates",
                lambda: file_tables(self.path, self.fmt, self.options),
                self.path,
            )
        finally:
            cur.close()

    def after_write(self, con: duckdb.DuckDBPyConnection, held: str, result: LoadResult) -> None:
        """The reconciling options, once the file's rows are written (in its transaction).

        A full list with a row whose key cannot be read (an unreadable line, a missing key)
        ends or flags nothing: that row may be one of those that would look missing.
        """
        kind, key = self.table.name, self.table.key
        if self.reconcile.full_refresh:
            (unkeyed,) = con.execute(
                f"SELECT (SELECT count(*) FROM {held} WHERE {key} IS NULL) + "
                "(SELECT count(*) FROM _oi_bad WHERE col IS NULL)"
            ).fetchall()[0]
            (held_rows,) = con.execute(f"SELECT count(*) FROM {held}").fetchall()[0]
            if not held_rows:
                raise LoadError(
                    f"{self.path}: --full-refresh: the file holds no {kind} rows, and a full "
                    f"list without rows would end every one; nothing was loaded"
                )
            if unkeyed:
                result.notes.append(
                    f"--full-refresh ended and flagged nothing: {unkeyed:,} rows have no "
                    f"readable {key} (fix them and load the full list again)"
                )
                self.reconcile = replace(self.reconcile, full_refresh=False)
        self.reconcile.apply(con, kind, held, result)

    def run(self, result: LoadResult, append: bool) -> None:
        table, path = self.table, self.path
        plain = {s: t for s, t in self.mapping.items() if not s.startswith("~")}
        file_cols = file_columns(path, self.fmt, self.options)
        plan = compile_plan(self.spec, plain, *file_cols, table, str(path))
        if plan.dated:  # conditions read those dates in the file's format
            days = self.condition_formats(plan.dated, file_cols[1])
            plan = compile_plan(self.spec, plain, *file_cols, table, str(path), days)
        shaped = None if plan.trivial else (plan.names or [], plan.types or {})
        columns = map_columns(
            path, self.fmt, table, plan.mapping, self.id_system, shaped, self.options
        )
        custom, columns.ignored = custom_fields.choose(
            table, columns.ignored, plan.referenced, self.spec.keep_extra
        )
        columns.ignored += plan.shadowed  # a target given another way replaced them
        result.ignored_columns = columns.ignored
        result.custom_fields = [c.removeprefix("custom:") for c in custom]
        bounds = DateBounds.of(self.config)
        self.check_earlier(wait=False)
        stage: Stage = (
            AppendLoad(self.con, table, result.file, self.id_system)
            if append
            else StagedLoad(self.con, table, self.precedence)
        )
        unreadable: list[UnreadableRow] = []
        relations = source_relations(
            self.con, path, self.fmt, unreadable, self.progress, self.options
        )
        try:
            kinds = [(c.name, c.type) for c in table.columns]
            candidates = date_candidates(kinds, columns.sources, columns.arrow_types)
            dates = DateDetection(self.con, candidates, self.named_formats(plan))
            # Undecided after the first chunk: read on through the file, unless transforms
            # reshape it (then the first chunk decides, and an ambiguous column asks for
            # --format).
            rest = (
                (lambda: file_tables(path, self.fmt, self.options))
                if plan.trivial
                else (lambda: iter(()))
            )
            for relation in transformed(self.con, plan, relations, result.notes):
                formats = dates.detect(relation, rest, path)
                sql = validation_sql(
                    table,
                    columns.sources,
                    columns.arrow_types,
                    relation,
                    bounds,
                    passthrough={**columns.external, **custom},
                    formats=formats,
                )
                stage.add_rows(sql, relation)
                self.check_earlier(wait=False)
            self.check_earlier(wait=True)
            result.rows_read = stage.finish_rows() + len(unreadable)
            if self.progress:
                self.progress(result.rows_read)
            stage.add_unreadable(unreadable)
            stage.check_duplicates()
            if isinstance(stage, StagedLoad):
                stage.match_key = self.match_key
                if "~link_key" in self.mapping:  # a second system's rows: silence is no blank
                    stage.absent = tuple(c for c in table.column_names if c not in columns.sources)
            stage.resolve_accounts(self.id_system)
            stage.check_references()

            result.rows_rejected = stage.rejected_rows()
            result.rejects = stage.sample_rejects(SAMPLE_REJECTS)
            if self.strict and result.rows_rejected:
                listing = "\n".join(r.describe(path.name) for r in result.rejects[:10])
                raise LoadError(
                    f"{path}: --strict refused the whole file: {result.rows_rejected} of "
                    f"{result.rows_read} rows have problems; nothing was loaded.\n{listing}",
                    rejects=[r.__dict__ for r in result.rejects],
                )
            stage.custom = custom
            if isinstance(stage, StagedLoad):
                stage.after_write = self.after_write
            stage.commit(
                result, self.digest.result(), self.mapping, self.id_system, list(columns.external)
            )
        finally:
            relations.close()  # a refusal mid-file leaves no read-ahead behind
            stage.drop()


def _named_formats(formats: Mapping[str, str], plan: Plan) -> dict[str, str]:
    """``--format`` options by the columns validation sees: a file column a transform maps
    is named by its target; one only conditions compare is theirs alone."""
    if plan.trivial:
        return dict(formats)
    named: dict[str, str] = {}
    for column, pattern in formats.items():
        targets = [t for t, source in plan.origins.items() if source == column]
        for target in targets or ([] if column in plan.dated else [column]):
            named.setdefault(target, pattern)
    return named


def _table(kind: str) -> Table:
    try:
        return TABLES[kind]
    except KeyError:
        raise LoadError(f"unknown kind {kind!r}; one of: {', '.join(TABLES)}") from None
