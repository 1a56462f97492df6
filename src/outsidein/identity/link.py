"""Link two accounts that are one customer: merge one into the other, audited, undoable.

``link(keep, other)`` moves every row that names ``other`` (contacts, subscriptions,
invoices, events, cases, ... every canonical table with an account reference, and child
accounts) to ``keep``, points ``other``'s external ids at ``keep``, records ``other``'s own
id as an external id of ``keep`` (so a later file with that id lands on it), keeps its
custom fields where ``keep`` has none, and removes ``other``'s account row. The row and the
keys moved are kept in ``identity_merges``: :func:`undo_merge` puts everything back. Each
decision is one transaction with its entry in the audit log (:mod:`outsidein.store.audit`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb

from outsidein.errors import NotFoundError, OutsideInError
from outsidein.ingest.validate import ident
from outsidein.store.audit import audited
from outsidein.store.tables import TABLES

__all__ = ["Merge", "link", "record_decision", "reject", "undo_merge", "unlink_id"]

MERGED_SYSTEM = "merged"  # the system of an id that was an account of its own before a merge


class IdentityError(OutsideInError):
    """A link that cannot be made (the same account, an account already merged...)."""

    code = "identity_conflict"
    http_status = 409


@dataclass(frozen=True)
class Merge:
    merge_id: str
    account_id: str
    merged_id: str
    moved: dict[str, list[str]]


def _references() -> list[tuple[str, str, str]]:
    """(table, key, column) of every canonical column that names an account."""
    return [
        (t.name, t.key, c.name)
        for t in TABLES.values()
        for c in t.columns
        if c.references == "accounts.account_id" and not (t.name == "accounts" and c.name == t.key)
    ]


def _account(con: duckdb.DuckDBPyConnection, account_id: str) -> dict[str, Any]:
    cur = con.execute("SELECT * FROM accounts WHERE account_id = ?", [account_id])
    names = [d[0] for d in cur.description or ()]
    rows = cur.fetchall()
    if not rows:
        raise NotFoundError(f"no account {account_id!r}")
    return dict(zip(names, rows[0], strict=True))


def link(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    other_id: str,
    actor: str | None,
    method: str = "manual",
    key: str = "",
) -> Merge:
    """Merge ``other_id`` into ``account_id`` (see the module's docstring)."""
    if account_id == other_id:
        raise IdentityError(f"{account_id}: an account is already itself; name two accounts")
    _account(con, account_id)
    row = _account(con, other_id)
    merge_id = uuid.uuid4().hex
    moved: dict[str, list[str]] = {}
    with audited(
        con, actor=actor, action="identity.link", target=account_id,
        detail={"merged": other_id, "method": method, "key": key},
    ) as detail:  # fmt: skip
        for table, key_col, column in _references():
            found = con.execute(
                f"SELECT {ident(key_col)} FROM {ident(table)} WHERE {ident(column)} = ?",
                [other_id],
            ).fetchall()
            if found:
                moved[f"{table}.{column}"] = [str(r[0]) for r in found]
                con.execute(
                    f"UPDATE {ident(table)} SET {ident(column)} = ? WHERE {ident(column)} = ?",
                    [account_id, other_id],
                )
        ids = con.execute(
            "SELECT system, external_id FROM external_ids WHERE account_id = ?", [other_id]
        ).fetchall()
        moved["external_ids"] = [json.dumps([s, e]) for s, e in ids]
        con.execute(
            "UPDATE external_ids SET account_id = ? WHERE account_id = ?", [account_id, other_id]
        )
        if not any(e == other_id for _, e in ids):  # its own id, from now on the kept one's
            con.execute(
                "INSERT INTO external_ids VALUES (?, ?, ?, 'identity', now()::TIMESTAMP) "
                "ON CONFLICT DO NOTHING",
                [MERGED_SYSTEM, other_id, account_id],
            )
            moved["added_ids"] = [json.dumps([MERGED_SYSTEM, other_id])]
        fields = con.execute(
            "SELECT name FROM custom_values WHERE entity = 'accounts' AND record_id = ? "
            "AND name NOT IN (SELECT name FROM custom_values WHERE entity = 'accounts' "
            "AND record_id = ?)",
            [other_id, account_id],
        ).fetchall()
        moved["custom_values"] = [r[0] for r in fields]
        con.execute(
            "UPDATE custom_values SET record_id = ? WHERE entity = 'accounts' AND record_id = ? "
            "AND name IN (SELECT unnest(?))",
            [account_id, other_id, moved["custom_values"]],
        )
        con.execute("DELETE FROM accounts WHERE account_id = ?", [other_id])
        con.execute(
            "INSERT INTO identity_merges VALUES (?, ?, ?, ?::JSON, ?::JSON, ?, now()::TIMESTAMP, "
            "NULL)",
            [merge_id, account_id, other_id, json.dumps(row, default=str), json.dumps(moved),
             actor],
        )  # fmt: skip
        record_decision(
            con, "identity_matches", "account_id", account_id, other_id,
            (method, key, "confirmed"), actor,
        )  # fmt: skip
        detail["moved"] = {name: len(keys) for name, keys in moved.items()}
    return Merge(merge_id, account_id, other_id, moved)


def record_decision(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key_column: str,
    first: str,
    other: str,
    decision: tuple[str, str, str],
    actor: str | None,
) -> None:
    """A pair's latest decision in ``table`` (``identity_matches`` or ``contact_matches``),
    whichever way round the pair was named: ``decision`` is (method, key, status)."""
    con.execute(
        f"DELETE FROM {table} WHERE ({key_column} = ? AND other_id = ?) "
        f"OR ({key_column} = ? AND other_id = ?)",
        [first, other, other, first],
    )
    con.execute(
        f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [first, other, *decision, actor],
    )


def reject(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    other_id: str,
    actor: str | None,
    method: str = "manual",
    key: str = "",
) -> None:
    """Remember that two accounts are different customers: never suggested again."""
    _account(con, account_id)
    _account(con, other_id)
    with audited(
        con, actor=actor, action="identity.reject", target=account_id,
        detail={"other": other_id, "method": method, "key": key},
    ):  # fmt: skip
        record_decision(
            con, "identity_matches", "account_id", account_id, other_id,
            (method, key, "rejected"), actor,
        )  # fmt: skip


def undo_merge(con: duckdb.DuckDBPyConnection, merged_id: str, actor: str | None) -> Merge:
    """Put a merged account back as it was, with the rows and ids that were moved."""
    rows = con.execute(
        "SELECT merge_id, account_id, merged_row, moved FROM identity_merges "
        "WHERE merged_id = ? AND undone_at IS NULL ORDER BY merged_at DESC LIMIT 1",
        [merged_id],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"{merged_id}: no merge of this account to undo")
    merge_id, account_id, row_text, moved_text = rows[0]
    row: dict[str, Any] = json.loads(row_text)
    moved: dict[str, list[str]] = json.loads(moved_text)
    with audited(
        con, actor=actor, action="identity.unlink", target=account_id,
        detail={"merged": merged_id},
    ):  # fmt: skip
        names = list(row)
        marks = ", ".join("?" for _ in names)
        con.execute(
            f"INSERT INTO accounts ({', '.join(ident(n) for n in names)}) VALUES ({marks})",
            [row[n] for n in names],
        )
        for table, key_col, column in _references():
            keys = moved.get(f"{table}.{column}", [])
            if keys:
                con.execute(
                    f"UPDATE {ident(table)} SET {ident(column)} = ? WHERE "
                    f"{ident(key_col)} IN (SELECT unnest(?))",
                    [merged_id, keys],
                )
        for pair in moved.get("external_ids", []):
            system, external = json.loads(pair)
            con.execute(
                "UPDATE external_ids SET account_id = ? WHERE system = ? AND external_id = ?",
                [merged_id, system, external],
            )
        for pair in moved.get("added_ids", []):
            system, external = json.loads(pair)
            con.execute(
                "DELETE FROM external_ids WHERE system = ? AND external_id = ?", [system, external]
            )
        con.execute(
            "UPDATE custom_values SET record_id = ? WHERE entity = 'accounts' AND record_id = ? "
            "AND name IN (SELECT unnest(?))",
            [merged_id, account_id, moved.get("custom_values", [])],
        )
        con.execute(
            "UPDATE identity_merges SET undone_at = now()::TIMESTAMP WHERE merge_id = ?",
            [merge_id],
        )
        con.execute(
            "DELETE FROM identity_matches WHERE account_id = ? AND other_id = ?",
            [account_id, merged_id],
        )
    return Merge(merge_id, account_id, merged_id, moved)


def unlink_id(
    con: duckdb.DuckDBPyConnection, system: str, external_id: str, actor: str | None
) -> str:
    """Forget that ``external_id`` of ``system`` names an account; the account it named."""
    rows = con.execute(
        "SELECT account_id FROM external_ids WHERE system = ? AND external_id = ?",
        [system, external_id],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no external id {external_id!r} of {system!r}")
    account_id = str(rows[0][0])
    with audited(
        con, actor=actor, action="identity.unlink", target=account_id,
        detail={"system": system, "external_id": external_id},
    ):  # fmt: skip
        con.execute(
            "DELETE FROM external_ids WHERE system = ? AND external_id = ?", [system, external_id]
        )
    return account_id
