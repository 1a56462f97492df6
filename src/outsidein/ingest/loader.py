"""Load one file of one kind into the store: validate, stage, then commit atomically.

The write path: stream batches -> validate each in SQL into temporary staging tables ->
whole-file checks (duplicate keys, references, external ids) -> one transaction that
writes the good rows, every reject, and the load log entry. A crash before COMMIT leaves
the store exactly as it was; a file already loaded (same bytes, kind and mapping) is
recognised by its SHA-256 and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from outsidein.config import StoreConfig
from outsidein.errors import LoadError
from outsidein.ingest.formats import UnreadableRow, detect_format, source_relations
from outsidein.ingest.mapping import EXTERNAL_ID_PREFIX
from outsidein.ingest.resolve import map_columns
from outsidein.ingest.validate import ident, literal, validation_sql
from outsidein.store.tables import TABLES, Table

Progress = Callable[[int], None]
SAMPLE_REJECTS = 20


@dataclass(frozen=True)
class RejectRow:
    """One problem with one row: where it is and what is wrong."""

    line: int | None
    column: str | None
    value: str | None
    reason: str

    def describe(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line is not None else file
        field_part = f" {self.column}" if self.column else ""
        value_part = f" = {self.value!r}" if self.value is not None else ""
        return f"{where}{field_part}{value_part}: {self.reason}"


@dataclass
class LoadResult:
    """What a load did, for the CLI summary, the API and tests."""

    load_id: str
    kind: str
    file: str
    format: str
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rejects: list[RejectRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return self.rows_inserted + self.rows_updated


def file_fingerprint(
    path: Path, kind: str, mapping: Mapping[str, str], id_system: str | None
) -> str:
    """SHA-256 of the bytes plus how they were read: the same file mapped differently is new."""
    digest = hashlib.sha256()
    digest.update(json.dumps([kind, sorted(mapping.items()), id_system]).encode())
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
    progress: Progress | None = None,
) -> LoadResult:
    """Load ``path`` as ``kind``; good rows land, bad rows go to ``rejects``.

    With ``strict`` any reject refuses the whole file (nothing is written) by raising
    :class:`LoadError` that lists the first problems.
    """
    started = time.perf_counter()
    table = _table(kind)
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    fmt = detect_format(path)
    mapping = dict(mapping or {})
    config = config or StoreConfig()
    fingerprint = file_fingerprint(path, kind, mapping, id_system)
    result = LoadResult(uuid.uuid4().hex, kind, str(path.resolve()), fmt)

    earlier = con.execute(
        "SELECT rows_read, rows_loaded, rows_rejected FROM load_log "
        "WHERE file_sha256 = ? AND kind = ? ORDER BY finished_at DESC LIMIT 1",
        [fingerprint, kind],
    ).fetchall()
    if earlier:
        previous = earlier[0]
        result.already_loaded = True
        result.rows_read, result.rows_unchanged = int(previous[0]), int(previous[1])
        result.rows_rejected = int(previous[2])
        result.seconds = time.perf_counter() - started
        return result

    columns = map_columns(path, fmt, table, mapping, id_system)
    result.ignored_columns = columns.ignored
    cutoff = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=config.future_tolerance_hours)
    stage = _Stage(con, table)
    try:
        unreadable: list[UnreadableRow] = []
        for relation in source_relations(con, path, fmt, unreadable, progress):
            stage.add_rows(
                validation_sql(
                    table,
                    columns.sources,
                    columns.arrow_types,
                    relation,
                    cutoff,
                    passthrough=columns.external,
                )
            )
        result.rows_read = stage.finish_rows() + len(unreadable)
        if progress:
            progress(result.rows_read)
        stage.add_unreadable(unreadable)
        stage.check_duplicates()
        stage.resolve_accounts(id_system)
        stage.check_references()

        result.rows_rejected = stage.rejected_rows()
        result.rejects = stage.sample_rejects(SAMPLE_REJECTS)
        if strict and result.rows_rejected:
            listing = "\n".join(r.describe(path.name) for r in result.rejects[:10])
            raise LoadError(
                f"{path}: --strict refused the whole file: {result.rows_rejected} of "
                f"{result.rows_read} rows have problems; nothing was loaded.\n{listing}",
                rejects=[r.__dict__ for r in result.rejects],
            )
        stage.commit(result, fingerprint, mapping, id_system, list(columns.external))
    finally:
        stage.drop()
    result.seconds = time.perf_counter() - started
    return result


def _table(kind: str) -> Table:
    try:
        return TABLES[kind]
    except KeyError:
        raise LoadError(f"unknown kind {kind!r}; one of: {', '.join(TABLES)}") from None


class _Stage:
    """Temporary staging tables of one load; nothing here is visible until :meth:`commit`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: Table) -> None:
        self.con, self.table = con, table
        self.checked = "_oi_checked"
        self.good = "_oi_good"
        self.bad = "_oi_bad"
        self.created = False

    def add_rows(self, sql: str) -> None:
        """Validate a part of the file, set-based, into the checked table."""
        if self.created:
            self.con.execute(f"INSERT INTO {self.checked} {sql}")
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {self.checked} AS {sql}")
            self.created = True

    def finish_rows(self) -> int:
        """Split checked rows into good ones and rejects; return how many rows were read."""
        con = self.con
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {self.bad} AS SELECT _line AS line, e.col AS col, "
            f"e.val AS val, e.reason AS reason FROM (SELECT _line, unnest(errs) AS e "
            f"FROM {self.checked} WHERE errs IS NOT NULL)"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.good} AS "
            f"SELECT * EXCLUDE (errs) FROM {self.checked} WHERE errs IS NULL"
        )
        row = con.execute(f"SELECT count(*) FROM {self.checked}").fetchall()[0]
        return int(row[0]) if row else 0

    def add_unreadable(self, rows: list[UnreadableRow]) -> None:
        if not self.created:
            raise LoadError("the file holds no rows that could be read")
        for row in rows:
            self.con.execute(
                f"INSERT INTO {self.bad} VALUES (?, NULL, ?, ?)", [row.line, row.text, row.reason]
            )

    def check_duplicates(self) -> None:
        """Later rows repeating a key are rejected, naming the line that has it first."""
        key = ident(self.table.key)
        self.con.execute(
            f"INSERT INTO {self.bad} SELECT g._line, {literal(self.table.key)}, g.{key}, "
            f"'duplicate key: the same {self.table.key} is on line ' || d.first_line "
            f"FROM {self.good} g JOIN (SELECT {key}, min(_line) AS first_line FROM {self.good} "
            f"GROUP BY {key} HAVING count(*) > 1) d ON g.{key} = d.{key} "
            f"WHERE g._line > d.first_line"
        )

    def resolve_accounts(self, id_system: str | None) -> None:
        """Replace account ids known through ``external_ids`` by the canonical account_id."""
        refs = [c.name for c in self.table.columns if c.references == "accounts.account_id"]
        if self.table.name == "accounts":
            refs = ["account_id", *refs] if id_system else refs
        for col in refs:
            column = ident(col)
            system_filter = "x.system = ?" if id_system else "TRUE"
            known = (
                ""
                if id_system
                else f" AND {self.checked}.{column} NOT IN (SELECT a.account_id FROM accounts a)"
            )
            params = [id_system] if id_system else []
            self.con.execute(
                f"UPDATE {self.checked} SET {column} = m.account_id FROM ("
                f"SELECT x.external_id, any_value(x.account_id) AS account_id FROM external_ids x "
                f"WHERE {system_filter} GROUP BY x.external_id "
                f"HAVING count(DISTINCT x.account_id) = 1) m "
                f"WHERE {self.checked}.{column} = m.external_id{known}",
                params,
            )

    def check_references(self) -> None:
        for col in self.table.columns:
            if not col.references:
                continue
            ref_table, ref_col = col.references.split(".")
            candidates = f"SELECT {ident(ref_col)} FROM {ident(ref_table)}"
            if ref_table == self.table.name:
                candidates += f" UNION ALL SELECT {ident(self.table.key)} FROM {self.good}"
            hint = " or external_ids" if ref_table == "accounts" else ""
            singular = ref_table.removesuffix("s")
            self.con.execute(
                f"INSERT INTO {self.bad} SELECT _line, {literal(col.name)}, {ident(col.name)}, "
                f"'unknown {col.name}: no such {singular} in the store{hint} "
                f"(load {ref_table} first)' "
                f"FROM {self.good} WHERE {ident(col.name)} IS NOT NULL "
                f"AND {ident(col.name)} NOT IN ({candidates})"
            )

    def rejected_rows(self) -> int:
        row = self.con.execute(
            f"SELECT count(DISTINCT line) + count(*) FILTER (WHERE line IS NULL) FROM {self.bad}"
        ).fetchall()[0]
        return int(row[0]) if row else 0

    def sample_rejects(self, limit: int) -> list[RejectRow]:
        rows = self.con.execute(
            f"SELECT line, col, val, reason FROM {self.bad} ORDER BY line NULLS FIRST LIMIT ?",
            [limit],
        ).fetchall()
        return [RejectRow(*row) for row in rows]

    def commit(
        self,
        result: LoadResult,
        fingerprint: str,
        mapping: Mapping[str, str],
        id_system: str | None,
        external: list[str],
    ) -> None:
        con, table = self.con, self.table
        name, key = ident(table.name), ident(table.key)
        cols = ", ".join(ident(c) for c in table.column_names)
        source = literal(result.file)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW _oi_ready AS SELECT * FROM {self.good} "
                f"WHERE _line NOT IN (SELECT line FROM {self.bad} WHERE line IS NOT NULL)"
            )
            con.execute("SET VARIABLE oi_loaded_at = now()::TIMESTAMP")
            if table.name == "events":
                inserted = con.execute(
                    f"INSERT INTO events SELECT {cols}, {source}, getvariable('oi_loaded_at') "
                    f"FROM _oi_ready WHERE {key} NOT IN (SELECT {key} FROM events)"
                ).fetchall()[0]
                result.rows_inserted = int(inserted[0]) if inserted else 0
                updated = 0
            else:
                changed = " OR ".join(
                    f"t.{ident(c)} IS DISTINCT FROM r.{ident(c)}" for c in table.column_names
                )
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _oi_write AS SELECT r.*, t.{key} IS NULL "
                    f"AS is_new FROM _oi_ready r LEFT JOIN {name} t ON t.{key} = r.{key} "
                    f"WHERE t.{key} IS NULL OR {changed}"
                )
                updates = ", ".join(
                    f"{ident(c)} = excluded.{ident(c)}"
                    for c in table.column_names
                    if c != table.key
                )
                con.execute(
                    f"INSERT INTO {name} ({cols}, source, loaded_at) SELECT {cols}, {source}, "
                    f"getvariable('oi_loaded_at') FROM _oi_write ON CONFLICT ({key}) DO UPDATE SET "
                    f"{updates}, source = excluded.source, loaded_at = excluded.loaded_at"
                )
                counts = con.execute(
                    "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) "
                    "FROM _oi_write"
                ).fetchall()[0]
                result.rows_inserted, updated = (
                    (int(counts[0]), int(counts[1])) if counts else (0, 0)
                )
            result.rows_updated = updated
            ready = con.execute("SELECT count(*) FROM _oi_ready").fetchall()[0]
            result.rows_unchanged = (int(ready[0]) if ready else 0) - result.rows_loaded
            self._write_external_ids(result, external)
            con.execute(
                f"INSERT INTO rejects SELECT ?, ?, ?, line, col, val, reason, "
                f"getvariable('oi_loaded_at') FROM {self.bad}",
                [result.load_id, table.name, result.file],
            )
            con.execute(
                "INSERT INTO load_log (load_id, kind, file, file_sha256, format, started_at, "
                "finished_at, rows_read, rows_loaded, rows_rejected, mapping, id_system) "
                "VALUES (?, ?, ?, ?, ?, getvariable('oi_loaded_at'), now()::TIMESTAMP, "
                "?, ?, ?, ?, ?)",
                [
                    result.load_id,
                    table.name,
                    result.file,
                    fingerprint,
                    result.format,
                    result.rows_read,
                    result.rows_loaded,
                    result.rows_rejected,
                    json.dumps(dict(mapping)),
                    id_system,
                ],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _write_external_ids(self, result: LoadResult, external: list[str]) -> None:
        """Remember every ``ext:SYSTEM`` id of an accounts file as pointing to its account."""
        for name in external:
            column = ident(name)
            self.con.execute(
                f"INSERT INTO external_ids SELECT DISTINCT ON ({column}) ?, {column}, account_id, "
                f"?, getvariable('oi_loaded_at') FROM _oi_ready WHERE {column} IS NOT NULL "
                "ON CONFLICT (system, external_id) DO UPDATE SET account_id = excluded.account_id, "
                "source = excluded.source, loaded_at = excluded.loaded_at",
                [name.removeprefix(EXTERNAL_ID_PREFIX), result.file],
            )

    def drop(self) -> None:
        for view in ("_oi_ready", self.good):
            self.con.execute(f"DROP VIEW IF EXISTS {view}")
        for temp in (self.bad, self.checked, "_oi_write"):
            self.con.execute(f"DROP TABLE IF EXISTS {temp}")
