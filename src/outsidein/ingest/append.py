"""The append write path: checked rows go straight into an append-only table (events).

Events are facts: never updated, and the first write of a ``message_id`` wins. So rather
than staging every row and copying the good ones over at the end (the staged path, which
must compare each row with the store), each part of the file is validated, resolved and
appended in one statement, inside one transaction held for the whole file; only rejects
are staged. Staging costs about as much as a second copy of the data, and this path skips it.

After the last part, the whole-file checks look at what was appended: rows whose key was
already stored are taken out again (they count as unchanged), and a key repeated inside the
file raises :class:`NeedsStaging`: the rows are in the table now, without their lines, so
the load rolls back and reruns on the staged path, which names the line each key first
appears on. The transaction commits together with the rejects and the load log, or rolls
back: a crash or a ``--strict`` refusal leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from outsidein.errors import LoadError
from outsidein.ingest.formats import UnreadableRow
from outsidein.ingest.result import LoadResult, RejectRow
from outsidein.ingest.staging import (
    BAD,
    account_id_map,
    account_references,
    record_load,
    rejected_rows,
    sample_rejects,
    unknown_reference,
)
from outsidein.ingest.validate import ident, literal
from outsidein.store.tables import Table

ID_MAP = "_oi_account_ids"


class NeedsStaging(Exception):
    """A key repeats inside the file: only the staged path can name the lines."""


class AppendLoad:
    """One load into an append-only table; the same steps as a staged load."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, table: Table, file: str, id_system: str | None
    ) -> None:
        self.custom: dict[str, str] = {}  # facts keep no custom fields
        if any(c.references and c.references.startswith(f"{table.name}.") for c in table.columns):
            raise ValueError(f"{table.name}: an append-only table cannot reference itself")
        self.con, self.table = con, table
        self.source = literal(file)
        self.rows = self.appended = self.unchanged = 0
        self.parts = 0
        self.open = True
        con.execute("BEGIN TRANSACTION")
        con.execute("SET VARIABLE oi_loaded_at = now()::TIMESTAMP")
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {BAD} "
            "(line BIGINT, col VARCHAR, val VARCHAR, reason VARCHAR)"
        )
        # This transaction's start time tells its rows apart: it sees no later commits, and
        # rows committed earlier with the same time (never seen) would send it to staging.
        self.ours = "loaded_at = getvariable('oi_loaded_at')"
        (self.stored, same_time) = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {self.ours}) FROM {ident(table.name)}"
        ).fetchall()[0]
        if same_time:
            con.execute("ROLLBACK")
            self.open = False
            raise NeedsStaging("stored rows carry this load's timestamp")
        mapping, params = account_id_map(id_system)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {ID_MAP} AS {mapping}", params)
        (known,) = con.execute(f"SELECT count(*) FROM {ID_MAP}").fetchall()[0]
        self.resolved = account_references(table, id_system) if known else []

    def _resolve(self, sql: str) -> str:
        """The checked rows with external account ids replaced by canonical ones."""
        if not self.resolved:
            return sql
        joins, replaced = [], []
        for index, col in enumerate(self.resolved):
            alias = f"m{index}"
            joins.append(f"LEFT JOIN {ID_MAP} {alias} ON v.{ident(col)} = {alias}.external_id")
            replaced.append(f"coalesce({alias}.account_id, v.{ident(col)}) AS {ident(col)}")
        return f"SELECT v.* REPLACE ({', '.join(replaced)}) FROM ({sql}) v {' '.join(joins)}"

    def add_rows(self, sql: str, relation: str) -> None:
        """Check a part of the file and append its good rows; stage the rest as rejects."""
        con, table = self.con, self.table
        checked = self._resolve(sql)
        known = []
        for col in table.columns:
            if col.references:
                candidates, _ = unknown_reference(col)
                name = ident(col.name)
                known.append(f"({name} IS NULL OR {name} IN ({candidates}))")
        cols = ", ".join(ident(c) for c in table.column_names)
        (appended,) = con.execute(
            f"INSERT INTO {ident(table.name)} ({cols}, source, loaded_at) SELECT {cols}, "
            f"{self.source}, getvariable('oi_loaded_at') FROM ({checked}) "
            f"WHERE {' AND '.join(['errs IS NULL', *known])}"
        ).fetchall()[0]
        (rows,) = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0]
        self.parts += 1
        self.rows += int(rows)
        self.appended += int(appended)
        if appended < rows:
            self._stage_rejects(checked)

    def _stage_rejects(self, checked: str) -> None:
        """The part's rejects: failed checks, then unknown references of otherwise good rows."""
        self.con.execute(
            f"INSERT INTO {BAD} SELECT _line, e.col, e.val, e.reason FROM "
            f"(SELECT _line, unnest(errs) AS e FROM ({checked}) WHERE errs IS NOT NULL)"
        )
        for col in self.table.columns:
            if not col.references:
                continue
            candidates, reason = unknown_reference(col)
            name = ident(col.name)
            self.con.execute(
                f"INSERT INTO {BAD} SELECT _line, {literal(col.name)}, {name}, {literal(reason)} "
                f"FROM ({checked}) WHERE errs IS NULL AND {name} IS NOT NULL "
                f"AND {name} NOT IN ({candidates})"
            )

    def finish_rows(self) -> int:
        return self.rows

    def add_unreadable(self, rows: list[UnreadableRow]) -> None:
        if not self.parts:
            raise LoadError("the file holds no rows that could be read")
        for row in rows:
            self.con.execute(
                f"INSERT INTO {BAD} VALUES (?, NULL, ?, ?)", [row.line, row.text, row.reason]
            )

    def check_duplicates(self) -> None:
        """Repeats inside the file: :class:`NeedsStaging`; keys already stored: taken out."""
        con, key, name, ours = self.con, ident(self.table.key), ident(self.table.name), self.ours
        (repeated,) = con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {name} WHERE {ours} "
            f"GROUP BY {key} HAVING count(*) > 1)"
        ).fetchall()[0]
        if repeated:
            raise NeedsStaging(f"{repeated} keys repeat inside the file")
        if not self.stored:
            return
        stored = (
            f"SELECT o.{key} FROM {name} o WHERE NOT (o.{ours}) "
            f"AND o.{key} IN (SELECT {key} FROM {name} WHERE {ours})"
        )
        (self.unchanged,) = con.execute(f"SELECT count(*) FROM ({stored})").fetchall()[0]
        if self.unchanged:
            con.execute(f"DELETE FROM {name} WHERE {ours} AND {key} IN ({stored})")

    def resolve_accounts(self, id_system: str | None) -> None:
        """Done part by part in :meth:`add_rows`."""

    def check_references(self) -> None:
        """Done part by part in :meth:`add_rows`."""

    def rejected_rows(self) -> int:
        return rejected_rows(self.con)

    def sample_rejects(self, limit: int) -> list[RejectRow]:
        return sample_rejects(self.con, limit)

    def commit(
        self,
        result: LoadResult,
        fingerprint: str,
        mapping: Mapping[str, str],
        id_system: str | None,
        external: list[str],
    ) -> None:
        result.rows_inserted = self.appended - self.unchanged
        result.rows_unchanged = self.unchanged
        record_load(self.con, result, self.table, fingerprint, mapping, id_system)
        self.con.execute("COMMIT")
        self.open = False

    def drop(self) -> None:
        if self.open:
            self.con.execute("ROLLBACK")
            self.open = False
        for temp in (BAD, ID_MAP):
            self.con.execute(f"DROP TABLE IF EXISTS {temp}")
