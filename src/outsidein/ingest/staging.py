"""The staged write path: every checked row waits in a temporary table until the commit.

Used for tables whose rows are entities (accounts, subscriptions, ...): a reloaded row may
update the stored one, so all rows must be compared with the store before anything is
written. Append-only tables take the shorter path of :mod:`outsidein.ingest.append`, and
fall back to this one when only it can explain a problem.

A stage's life: :meth:`StagedLoad.add_rows` per part of the file, then the whole-file
checks, then :meth:`StagedLoad.commit`, which writes the good rows, every reject and the
load log in one transaction; :meth:`StagedLoad.drop` always runs last.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Protocol

import duckdb

from outsidein.errors import LoadError
from outsidein.ingest import custom_fields, reasons
from outsidein.ingest.formats import UnreadableRow
from outsidein.ingest.mapping import EXTERNAL_ID_PREFIX
from outsidein.ingest.provenance import file_write_sql
from outsidein.ingest.resolve import EXTERNAL_ID_TABLES
from outsidein.ingest.result import LoadResult, RejectRow
from outsidein.ingest.validate import ident, literal
from outsidein.precedence import TRACKED_TABLES, PrecedenceConfig
from outsidein.store.tables import Column, Table

BAD = "_oi_bad"
LINE_MARK = "<line>"  # in a reason's text, replaced by the line in SQL


def rejected_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows rejected so far in :data:`BAD` (a row with several problems counts once)."""
    (count,) = con.execute(
        f"SELECT count(DISTINCT line) + count(*) FILTER (WHERE line IS NULL) FROM {BAD}"
    ).fetchall()[0]
    return int(count)


def sample_rejects(con: duckdb.DuckDBPyConnection, limit: int) -> list[RejectRow]:
    """The first ``limit`` problems in :data:`BAD`, in file order."""
    rows = con.execute(
        f"SELECT line, col, val, reason FROM {BAD} ORDER BY line NULLS FIRST LIMIT ?", [limit]
    ).fetchall()
    return [RejectRow(*row) for row in rows]


def unknown_reference(col: Column) -> tuple[str, str]:
    """(the candidate keys, the reject reason) of a column that references another table."""
    assert col.references
    ref_table, ref_col = col.references.split(".")
    return f"SELECT {ident(ref_col)} FROM {ident(ref_table)}", reasons.unknown_reference(col)


def account_id_map(id_system: str | None) -> tuple[str, list[object]]:
    """SQL (and parameters) of ``external_id -> account_id`` for ids that need resolving.

    With ``id_system`` every id of the file is that system's; otherwise an id resolves
    only when it is not already an account_id and names exactly one account.
    """
    params: list[object] = [id_system] if id_system else []
    unknown = "x.external_id NOT IN (SELECT account_id FROM accounts)"
    where = "x.system = ?" if id_system else unknown
    return (
        "SELECT x.external_id, any_value(x.account_id) AS account_id FROM external_ids x "
        f"WHERE {where} GROUP BY x.external_id HAVING count(DISTINCT x.account_id) = 1",
        params,
    )


def contact_id_map(id_system: str | None) -> tuple[str, list[object]]:
    """SQL (and parameters) of ``external_id -> contact_id``, as :func:`account_id_map`."""
    params: list[object] = [id_system] if id_system else []
    where = (
        "x.system = ?" if id_system else "x.external_id NOT IN (SELECT contact_id FROM contacts)"
    )
    return (
        "SELECT x.external_id, any_value(x.contact_id) AS contact_id FROM contact_external_ids x "
        f"WHERE {where} GROUP BY x.external_id HAVING count(DISTINCT x.contact_id) = 1",
        params,
    )


def account_references(table: Table, id_system: str | None) -> list[str]:
    """The columns holding account ids that may be external ids to resolve."""
    refs = [c.name for c in table.columns if c.references == "accounts.account_id"]
    if table.name == "accounts":
        refs = ["account_id", *refs] if id_system else refs
    return refs


class Stage(Protocol):
    """The steps of a load, in the order :func:`outsidein.ingest.loader.load_file` takes them."""

    def add_rows(self, sql: str, relation: str) -> None: ...
    def finish_rows(self) -> int: ...
    def add_unreadable(self, rows: list[UnreadableRow]) -> None: ...
    def check_duplicates(self) -> None: ...
    def resolve_accounts(self, id_system: str | None) -> None: ...
    def check_references(self) -> None: ...
    def rejected_rows(self) -> int: ...
    def sample_rejects(self, limit: int) -> list[RejectRow]: ...
    def commit(
        self,
        result: LoadResult,
        fingerprint: str,
        mapping: Mapping[str, str],
        id_system: str | None,
        external: list[str],
    ) -> None: ...
    def drop(self) -> None: ...

    custom: dict[str, str]  # custom field column -> file column, written at commit


class StagedLoad:
    """Temporary staging tables of one load; nothing here is visible until :meth:`commit`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        precedence: PrecedenceConfig | None = None,
    ) -> None:
        self.con, self.table = con, table
        self.precedence = precedence or PrecedenceConfig()
        self.checked = "_oi_checked"
        self.good = "_oi_good"
        self.bad = BAD
        self.created = False
        self.custom: dict[str, str] = {}
        self.match_key: str | None = None  # link_key = "email": rows matched on a column
        # Columns the file lacks that must not erase stored values (a linked second system).
        self.absent: tuple[str, ...] = ()
        # Changes beyond the file's rows (outsidein.ingest.reconcile), in the commit's
        # transaction: given the connection, the relation of every row the file holds.
        self.after_write: Callable[[duckdb.DuckDBPyConnection, str, LoadResult], None] | None = None
        # Leftovers of an interrupted load on this connection (this also ends any result
        # the caller left half-read, which DuckDB requires before registering a table).
        self.drop()

    def add_rows(self, sql: str, relation: str) -> None:
        """Validate a part of the file (``sql`` over ``relation``) into the checked table."""
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
        reason = literal(reasons.duplicate_key(self.table.key, LINE_MARK))
        self.con.execute(
            f"INSERT INTO {self.bad} SELECT g._line, {literal(self.table.key)}, g.{key}, "
            f"replace({reason}, {literal(LINE_MARK)}, CAST(d.first_line AS VARCHAR)) "
            f"FROM {self.good} g JOIN (SELECT {key}, min(_line) AS first_line FROM {self.good} "
            f"GROUP BY {key} HAVING count(*) > 1) d ON g.{key} = d.{key} "
            f"WHERE g._line > d.first_line"
        )

    def resolve_accounts(self, id_system: str | None) -> None:
        """Replace account ids known through ``external_ids`` by the canonical account_id."""
        mapping, params = account_id_map(id_system)
        for col in account_references(self.table, id_system):
            column = ident(col)
            self.con.execute(
                f"UPDATE {self.checked} SET {column} = m.account_id FROM ({mapping}) m "
                f"WHERE {self.checked}.{column} = m.external_id",
                params,
            )

        if "contact_id" in self.table.column_names:
            self._resolve_contacts(id_system)

        if self.table.account_from_subscription:  # usage counted by subscription
            self.con.execute(
                f"UPDATE {self.checked} SET account_id = s.account_id FROM subscriptions s "
                f"WHERE {self.checked}.account_id IS NULL "
                f"AND {self.checked}.subscription_id = s.subscription_id"
            )

    def _resolve_contacts(self, id_system: str | None) -> None:
        """Contact ids known through ``contact_external_ids`` become the stored contact's; in
        a contacts file with a match key (``email``), a row whose key is exactly one stored
        contact's (and whose id is none yet) becomes that contact."""
        checked = self.checked
        if self.table.name != "contacts" or id_system:  # a contacts file: its own system's
            mapping, params = contact_id_map(id_system)
            self.con.execute(
                f"UPDATE {checked} SET contact_id = m.contact_id FROM ({mapping}) m "
                f"WHERE {checked}.contact_id = m.external_id",
                params,
            )
        if self.table.name == "contacts" and self.match_key:
            key = ident(self.match_key)
            self.con.execute(
                f"UPDATE {checked} SET contact_id = m.contact_id FROM (SELECT lower(trim({key})) "
                f"AS k, any_value(contact_id) AS contact_id FROM contacts WHERE {key} IS NOT NULL "
                f"GROUP BY k HAVING count(*) = 1) m WHERE lower(trim({checked}.{key})) = m.k "
                f"AND {checked}.contact_id NOT IN (SELECT contact_id FROM contacts)"
            )
            reason = literal(reasons.same_person(self.match_key, LINE_MARK))
            self.con.execute(  # two rows of the file matched one stored contact
                f"INSERT INTO {self.bad} SELECT g._line, {literal(self.match_key)}, g.{key}, "
                f"replace({reason}, {literal(LINE_MARK)}, CAST(d.first_line AS VARCHAR)) "
                f"FROM {self.good} g JOIN (SELECT contact_id, min(_line) AS first_line "
                f"FROM {self.good} GROUP BY contact_id HAVING count(*) > 1) d "
                f"ON g.contact_id = d.contact_id WHERE g._line > d.first_line "
                f"AND g._line NOT IN (SELECT line FROM {self.bad} WHERE line IS NOT NULL)"
            )

    def check_references(self) -> None:
        for col in self.table.columns:
            if not col.references:
                continue
            candidates, reason = unknown_reference(col)
            ref_table = col.references.split(".")[0]
            if ref_table == self.table.name:
                candidates += f" UNION ALL SELECT {ident(self.table.key)} FROM {self.good}"
            self.con.execute(
                f"INSERT INTO {self.bad} SELECT _line, {literal(col.name)}, {ident(col.name)}, "
                f"{literal(reason)} FROM {self.good} WHERE {ident(col.name)} IS NOT NULL "
                f"AND {ident(col.name)} NOT IN ({candidates})"
            )

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
            tracked = table.name in TRACKED_TABLES
            if tracked:  # precedence decides each value; field_sources records who set it
                con.execute(
                    file_write_sql(table, self.precedence, "_oi_ready", "_oi_write", self.absent)
                )
                cols += ", field_sources"
            else:
                changed = " OR ".join(
                    f"t.{ident(c)} IS DISTINCT FROM r.{ident(c)}" for c in table.column_names
                )
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _oi_write AS SELECT r.*, t.{key} IS NULL "
                    f"AS is_new FROM _oi_ready r LEFT JOIN {name} t ON t.{key} = r.{key} "
                    f"WHERE t.{key} IS NULL OR {changed}"
                )
            if table.append_only:  # a fallback from the append path: never update a fact
                con.execute("DELETE FROM _oi_write WHERE NOT is_new")
            write = (
                f"INSERT INTO {name} ({cols}, source, loaded_at) SELECT {cols}, {source}, "
                f"getvariable('oi_loaded_at') FROM _oi_write"
            )
            if not table.append_only:
                updated = [c for c in table.column_names if c != table.key]
                updates = ", ".join(
                    f"{ident(c)} = excluded.{ident(c)}"
                    for c in [*updated, *(["field_sources"] if tracked else [])]
                )
                write += (
                    f" ON CONFLICT ({key}) DO UPDATE SET {updates}, "
                    "source = excluded.source, loaded_at = excluded.loaded_at"
                )
            con.execute(write)
            counts = con.execute(
                "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) "
                "FROM _oi_write"
            ).fetchall()[0]
            result.rows_inserted, result.rows_updated = (
                (int(counts[0]), int(counts[1])) if counts else (0, 0)
            )
            ready = con.execute("SELECT count(*) FROM _oi_ready").fetchall()[0]
            result.rows_unchanged = (int(ready[0]) if ready else 0) - result.rows_loaded
            self._write_external_ids(result, external)
            if self.after_write is not None:
                self.after_write(con, self.checked, result)
            if self.custom:
                custom_fields.write(
                    con, table, "_oi_ready", self.custom, result.load_id, result.file
                )
            record_load(con, result, table, fingerprint, mapping, id_system)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _write_external_ids(self, result: LoadResult, external: list[str]) -> None:
        """Remember every ``ext:SYSTEM`` id of an accounts (contacts) file as pointing to its
        account (contact)."""
        if not external:
            return
        into, key = EXTERNAL_ID_TABLES[self.table.name], ident(self.table.key)
        for name in external:
            column = ident(name)
            self.con.execute(
                f"INSERT INTO {into} SELECT DISTINCT ON ({column}) ?, {column}, {key}, "
                f"?, getvariable('oi_loaded_at') FROM _oi_ready WHERE {column} IS NOT NULL "
                f"ON CONFLICT (system, external_id) DO UPDATE SET {key} = excluded.{key}, "
                "source = excluded.source, loaded_at = excluded.loaded_at",
                [name.removeprefix(EXTERNAL_ID_PREFIX), result.file],
            )

    def drop(self) -> None:
        for view in ("_oi_ready", self.good):
            self.con.execute(f"DROP VIEW IF EXISTS {view}")
        for temp in (self.bad, self.checked, "_oi_write"):
            self.con.execute(f"DROP TABLE IF EXISTS {temp}")


def record_load(
    con: duckdb.DuckDBPyConnection,
    result: LoadResult,
    table: Table,
    fingerprint: str,
    mapping: Mapping[str, str],
    id_system: str | None,
) -> None:
    """Keep the rejects and the load log entry (inside the caller's transaction).

    The rejects of the file's earlier loads (same kind and name) go: what is wrong with a
    file is what its latest load found, and failed attempts do not pile up.
    """
    con.execute(
        "DELETE FROM rejects WHERE kind = ? AND file = ? AND load_id <> ?",
        [table.name, result.file, result.load_id],
    )
    con.execute(
        f"INSERT INTO rejects SELECT ?, ?, ?, line, col, val, reason, "
        f"getvariable('oi_loaded_at') FROM {BAD}",
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
