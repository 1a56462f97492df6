"""Link two contacts that are one person: merge one into the other, audited, undoable.

``link_contacts(keep, other)`` moves every row that names ``other`` (touchpoints, cases,
survey answers, outbox messages) to ``keep``, points ``other``'s external ids at ``keep``
and records ``other``'s own id as one of ``keep``'s (so a later file with that id lands on
it), fills ``keep``'s empty fields (name, email, title...) and custom fields from
``other``, carries its consent (an unsubscribe on either stands), and removes ``other``'s
row. Events keep the product's user id they were sent with: that id is now an external id
of ``keep``. What moved is kept in ``contact_merges``: :func:`undo_contact_merge` puts
everything back. Each decision is one transaction with its audit entry.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb

from outsidein.errors import NotFoundError
from outsidein.identity.link import MERGED_SYSTEM, IdentityError, record_decision
from outsidein.ingest.validate import ident
from outsidein.store.audit import audited
from outsidein.store.tables import TABLES

__all__ = [
    "ContactMerge",
    "link_contacts",
    "reject_contacts",
    "undo_contact_merge",
    "unlink_contact_id",
]


@dataclass(frozen=True)
class ContactMerge:
    merge_id: str
    contact_id: str
    merged_id: str
    moved: dict[str, list[str]]


# Tables outside the canonical model that name a contact: (table, key).
_OTHER_REFERENCES = (("outbox_messages", "message_id"),)
_FILLED = ("name", "email", "role", "title", "created_at", "timezone")


def _references() -> list[tuple[str, str]]:
    """(table, key) of every table with a ``contact_id`` naming a contact."""
    canonical = [
        (t.name, t.key)
        for t in TABLES.values()
        if t.name != "contacts" and "contact_id" in t.column_names
    ]
    return [*canonical, *_OTHER_REFERENCES]


def _contact(con: duckdb.DuckDBPyConnection, contact_id: str) -> dict[str, Any]:
    cur = con.execute("SELECT * FROM contacts WHERE contact_id = ?", [contact_id])
    names = [d[0] for d in cur.description or ()]
    rows = cur.fetchall()
    if not rows:
        raise NotFoundError(f"no contact {contact_id!r}")
    return dict(zip(names, rows[0], strict=True))


def _consent(con: duckdb.DuckDBPyConnection, contact_id: str) -> list[Any] | None:
    rows = con.execute(
        "SELECT status, via, changed_at FROM contact_consent WHERE contact_id = ?", [contact_id]
    ).fetchall()
    return [str(v) for v in rows[0]] if rows else None


def link_contacts(
    con: duckdb.DuckDBPyConnection,
    contact_id: str,
    other_id: str,
    actor: str | None,
    method: str = "manual",
    key: str = "",
) -> ContactMerge:
    """Merge ``other_id`` into ``contact_id`` (see the module's docstring)."""
    if contact_id == other_id:
        raise IdentityError(f"{contact_id}: a contact is already itself; name two contacts")
    kept = _contact(con, contact_id)
    row = _contact(con, other_id)
    merge_id = uuid.uuid4().hex
    moved: dict[str, list[str]] = {}
    with audited(
        con, actor=actor, action="contact.link", target=contact_id,
        detail={"merged": other_id, "method": method, "key": key},
    ) as detail:  # fmt: skip
        for table, key_col in _references():
            found = con.execute(
                f"UPDATE {ident(table)} SET contact_id = ? WHERE contact_id = ? "
                f"RETURNING {ident(key_col)}",
                [contact_id, other_id],
            ).fetchall()
            if found:
                moved[table] = [str(r[0]) for r in found]
        ids = con.execute(
            "UPDATE contact_external_ids SET contact_id = ? WHERE contact_id = ? "
            "RETURNING system, external_id",
            [contact_id, other_id],
        ).fetchall()
        moved["external_ids"] = [json.dumps([s, e]) for s, e in ids]
        if not any(e == other_id for _, e in ids):  # its own id, from now on the kept one's
            con.execute(
                "INSERT INTO contact_external_ids VALUES (?, ?, ?, 'identity', now()::TIMESTAMP) "
                "ON CONFLICT DO NOTHING",
                [MERGED_SYSTEM, other_id, contact_id],
            )
            moved["added_ids"] = [json.dumps([MERGED_SYSTEM, other_id])]
        moved["filled"] = [f for f in _FILLED if kept[f] is None and row[f] is not None]
        for name in moved["filled"]:
            con.execute(
                f"UPDATE contacts SET {ident(name)} = ? WHERE contact_id = ?",
                [row[name], contact_id],
            )
        fields = con.execute(
            "UPDATE custom_values SET record_id = ? WHERE entity = 'contacts' AND record_id = ? "
            "AND name NOT IN (SELECT name FROM custom_values WHERE entity = 'contacts' "
            "AND record_id = ?) RETURNING name",
            [contact_id, other_id, contact_id],
        ).fetchall()
        moved["custom_values"] = [r[0] for r in fields]
        _merge_consent(con, contact_id, other_id, moved)
        con.execute("DELETE FROM contacts WHERE contact_id = ?", [other_id])
        con.execute(
            "INSERT INTO contact_merges VALUES (?, ?, ?, ?::JSON, ?::JSON, ?, now()::TIMESTAMP, "
            "NULL)",
            [merge_id, contact_id, other_id, json.dumps(row, default=str), json.dumps(moved),
             actor],
        )  # fmt: skip
        record_decision(
            con, "contact_matches", "contact_id", contact_id, other_id,
            (method, key, "confirmed"), actor,
        )  # fmt: skip
        detail["moved"] = {name: len(keys) for name, keys in moved.items()}
    return ContactMerge(merge_id, contact_id, other_id, moved)


def _merge_consent(
    con: duckdb.DuckDBPyConnection, contact_id: str, other_id: str, moved: dict[str, list[str]]
) -> None:
    """The merged contact's consent goes to the kept one when it has none, or when it is an
    unsubscribe (a person who unsubscribed anywhere gets no automated touches)."""
    theirs, ours = _consent(con, other_id), _consent(con, contact_id)
    if theirs is None or (ours is not None and theirs[0] != "unsubscribed"):
        return
    moved["consent"] = [json.dumps(ours), json.dumps(theirs)]
    con.execute("DELETE FROM contact_consent WHERE contact_id IN (?, ?)", [contact_id, other_id])
    con.execute("INSERT INTO contact_consent VALUES (?, ?, ?, ?)", [contact_id, *theirs])


def reject_contacts(
    con: duckdb.DuckDBPyConnection,
    contact_id: str,
    other_id: str,
    actor: str | None,
    method: str = "manual",
    key: str = "",
) -> None:
    """Remember that two contacts are different people: never suggested again."""
    if contact_id == other_id:
        raise IdentityError(f"{contact_id}: name two different contacts")
    _contact(con, contact_id)
    _contact(con, other_id)
    with audited(
        con, actor=actor, action="contact.reject", target=contact_id,
        detail={"other": other_id, "method": method, "key": key},
    ):  # fmt: skip
        record_decision(
            con, "contact_matches", "contact_id", contact_id, other_id,
            (method, key, "rejected"), actor,
        )  # fmt: skip


def undo_contact_merge(
    con: duckdb.DuckDBPyConnection, merged_id: str, actor: str | None
) -> ContactMerge:
    """Put a merged contact back as it was, with the rows, ids and fields that moved."""
    rows = con.execute(
        "SELECT merge_id, contact_id, merged_row, moved FROM contact_merges "
        "WHERE merged_id = ? AND undone_at IS NULL ORDER BY merged_at DESC LIMIT 1",
        [merged_id],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"{merged_id}: no merge of this contact to undo")
    merge_id, contact_id, row_text, moved_text = rows[0]
    row: dict[str, Any] = json.loads(row_text)
    moved: dict[str, list[str]] = json.loads(moved_text)
    with audited(
        con, actor=actor, action="contact.unlink", target=contact_id,
        detail={"merged": merged_id},
    ):  # fmt: skip
        names = list(row)
        marks = ", ".join("?" for _ in names)
        con.execute(
            f"INSERT INTO contacts ({', '.join(ident(n) for n in names)}) VALUES ({marks})",
            [row[n] for n in names],
        )
        for table, key_col in _references():
            if keys := moved.get(table, []):
                con.execute(
                    f"UPDATE {ident(table)} SET contact_id = ? WHERE "
                    f"{ident(key_col)} IN (SELECT unnest(?))",
                    [merged_id, keys],
                )
        for pair in moved.get("external_ids", []):
            con.execute(
                "UPDATE contact_external_ids SET contact_id = ? WHERE system = ? "
                "AND external_id = ?",
                [merged_id, *json.loads(pair)],
            )
        for pair in moved.get("added_ids", []):
            con.execute(
                "DELETE FROM contact_external_ids WHERE system = ? AND external_id = ?",
                json.loads(pair),
            )
        for name in moved.get("filled", []):
            con.execute(
                f"UPDATE contacts SET {ident(name)} = NULL WHERE contact_id = ?", [contact_id]
            )
        con.execute(
            "UPDATE custom_values SET record_id = ? WHERE entity = 'contacts' AND record_id = ? "
            "AND name IN (SELECT unnest(?))",
            [merged_id, contact_id, moved.get("custom_values", [])],
        )
        if consent := moved.get("consent"):
            ours, theirs = (json.loads(c) for c in consent)
            con.execute("DELETE FROM contact_consent WHERE contact_id = ?", [contact_id])
            for who, values in ((contact_id, ours), (merged_id, theirs)):
                if values is not None:
                    con.execute("INSERT INTO contact_consent VALUES (?, ?, ?, ?)", [who, *values])
        con.execute(
            "UPDATE contact_merges SET undone_at = now()::TIMESTAMP WHERE merge_id = ?",
            [merge_id],
        )
        con.execute(
            "DELETE FROM contact_matches WHERE contact_id = ? AND other_id = ?",
            [contact_id, merged_id],
        )
    return ContactMerge(merge_id, contact_id, merged_id, moved)


def unlink_contact_id(
    con: duckdb.DuckDBPyConnection, system: str, external_id: str, actor: str | None
) -> str:
    """Forget that ``external_id`` of ``system`` names a contact; the contact it named."""
    rows = con.execute(
        "SELECT contact_id FROM contact_external_ids WHERE system = ? AND external_id = ?",
        [system, external_id],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no external id {external_id!r} of {system!r} for a contact")
    contact_id = str(rows[0][0])
    with audited(
        con, actor=actor, action="contact.unlink", target=contact_id,
        detail={"system": system, "external_id": external_id},
    ):  # fmt: skip
        con.execute(
            "DELETE FROM contact_external_ids WHERE system = ? AND external_id = ?",
            [system, external_id],
        )
    return contact_id
