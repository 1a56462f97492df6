"""Erasing a contact's personal data on request, keeping the figures that count them.

The contact's identifiers stay (``contact_id``, the events' ``user_id``, the account it
belongs to, its role), so usage, NPS and every metric still count the same people and rows;
what identifies or describes the person goes:

- ``contacts``: name, email and title become NULL (their field sources with them);
- ``segment_traits`` of the user (identify calls): every trait is deleted, so no later
  refresh can bring a value back;
- ``events``, ``segment_pending``, ``segment_inbox`` of the user: personal keys (email,
  name, phone, address, ...) removed from properties and payloads;
- ``touchpoints`` (note), ``cases`` (subject) and ``survey_responses`` (comment) that name
  the contact: their free text becomes NULL; scores and dates stay.

All in one transaction with its audit entry (``contact.erase``). Running it again changes
nothing more (it is recorded again, as a request). A file loaded again later brings back
what it holds: erase the person at the source too (docs/operations.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from outsidein.errors import NotFoundError
from outsidein.store import audit

__all__ = ["PERSONAL_KEYS", "Erased", "erase_contact"]

PERSONAL_KEYS = (
    "email", "name", "firstName", "lastName", "first_name", "last_name", "phone",
    "phone_number", "phoneNumber", "address", "username", "avatar", "birthday", "title",
)  # fmt: skip
_PATCH = json.dumps(dict.fromkeys(PERSONAL_KEYS))  # RFC 7396: a null removes the key
_NESTED = json.dumps({**dict.fromkeys(PERSONAL_KEYS), "traits": dict.fromkeys(PERSONAL_KEYS)})


@dataclass(frozen=True)
class Erased:
    """What an erasure changed, per table (0 everywhere when it had been erased already)."""

    contact_id: str
    changed: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.changed.values())


def _strip(column: str) -> str:
    """``column`` (JSON) without the personal keys, at its top level and under traits/context."""
    return (
        f"CASE WHEN json_type({column}, '$.traits') = 'OBJECT' "
        f"THEN json_merge_patch({column}, '{_NESTED}') "
        f"ELSE json_merge_patch({column}, '{_PATCH}') END"
    )


def _personal(column: str) -> str:
    """SQL true where ``column`` (JSON) still carries a personal key."""
    keys = ", ".join(f"'{k}'" for k in PERSONAL_KEYS)
    return (
        f"({column} IS NOT NULL AND (len(list_intersect(json_keys({column}), [{keys}])) > 0 "
        f"OR (json_type({column}, '$.traits') = 'OBJECT' AND "
        f"len(list_intersect(json_keys({column} -> '$.traits'), [{keys}])) > 0)))"
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> int:
    rows = con.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def erase_contact(con: duckdb.DuckDBPyConnection, contact_id: str, *, actor: str | None) -> Erased:
    """Anonymise ``contact_id`` everywhere it is stored (see the module); audited."""
    known = _count(
        con,
        "SELECT (SELECT count(*) FROM contacts WHERE contact_id = $1) "
        "+ (SELECT count(*) FROM events WHERE user_id = $1) "
        "+ (SELECT count(*) FROM segment_traits WHERE kind = 'user' AND entity_id = $1)",
        [contact_id],
    )
    if not known:
        raise NotFoundError(f"no contact or user {contact_id!r} in the store")
    statements = {
        "contacts": "UPDATE contacts SET name = NULL, email = NULL, title = NULL, "
        "field_sources = NULL WHERE contact_id = $1 "
        "AND (name IS NOT NULL OR email IS NOT NULL OR title IS NOT NULL)",
        "segment_traits": "DELETE FROM segment_traits WHERE kind = 'user' AND entity_id = $1",
        "events": f"UPDATE events SET properties = {_strip('properties')} "
        f"WHERE user_id = $1 AND {_personal('properties')}",
        "segment_pending": f"UPDATE segment_pending SET payload = {_strip('payload')} "
        f"WHERE user_id = $1 AND {_personal('payload')}",
        "segment_inbox": f"UPDATE segment_inbox SET payload = {_strip('payload')} "
        f"WHERE user_id = $1 AND {_personal('payload')}",
        "touchpoints": "UPDATE touchpoints SET note = NULL "
        "WHERE contact_id = $1 AND note IS NOT NULL",
        "cases": "UPDATE cases SET subject = NULL WHERE contact_id = $1 AND subject IS NOT NULL",
        "survey_responses": 'UPDATE survey_responses SET "comment" = NULL '
        'WHERE contact_id = $1 AND "comment" IS NOT NULL',
    }
    changed: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for table, sql in statements.items():
            changed[table] = _count(con, sql, [contact_id])
        audit.record(con, actor=actor, action="contact.erase", target=contact_id, detail=changed)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return Erased(contact_id, changed)
