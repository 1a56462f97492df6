"""Per-contact consent: the signed unsubscribe token, and what a contact said.

An unsubscribe link carries ``<contact_id>.<signature>`` (base64url), an HMAC-SHA256 of the
contact id under a key kept in the store (``outbox_state``, made at first use), so a link
works only for the contact it was sent to and needs no sign-in (a declared exception of
docs/security.md). The delivery checks :func:`unsubscribed` just before each send.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

import duckdb

from outsidein.outbox.errors import OutboxError

__all__ = [
    "ConsentStatus",
    "consent_of",
    "contact_of_token",
    "set_consent",
    "unsubscribe_token",
    "unsubscribe_url",
    "unsubscribed",
]

ConsentStatus = Literal["subscribed", "unsubscribed"]
KEY_NAME = "unsubscribe_key"
UNSUBSCRIBE_PATH = "/unsubscribe/"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(con: duckdb.DuckDBPyConnection) -> bytes:
    """The signing key, made once per store (kept across restarts, so old links work)."""
    rows = con.execute("SELECT value FROM outbox_state WHERE name = ?", [KEY_NAME]).fetchall()
    if rows:
        return _unb64(str(rows[0][0]))
    made = _b64(secrets.token_bytes(32))
    con.execute(
        "INSERT INTO outbox_state VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
        [KEY_NAME, made, _now()],
    )
    value = con.execute("SELECT value FROM outbox_state WHERE name = ?", [KEY_NAME]).fetchall()
    return _unb64(str(value[0][0]))


def _sign(key: bytes, contact_id: str) -> str:
    return _b64(hmac.new(key, contact_id.encode("utf-8"), hashlib.sha256).digest())


def unsubscribe_token(con: duckdb.DuckDBPyConnection, contact_id: str) -> str:
    """The token of ``contact_id``'s unsubscribe link."""
    return f"{_b64(contact_id.encode('utf-8'))}.{_sign(_key(con), contact_id)}"


def unsubscribe_url(con: duckdb.DuckDBPyConnection, contact_id: str, public_url: str) -> str:
    """The full link: the server's public address, the route, the token."""
    token = quote(unsubscribe_token(con, contact_id), safe=".-_")
    return f"{public_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token}"


def contact_of_token(con: duckdb.DuckDBPyConnection, token: str) -> str:
    """The contact a token was made for; OutboxError when it was not made by this store."""
    head, _, signature = token.partition(".")
    try:
        contact_id = _unb64(head).decode("utf-8")
        given = _unb64(signature)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OutboxError("this unsubscribe link is damaged; copy the whole link") from None
    expected = _unb64(_sign(_key(con), contact_id))
    if not contact_id or not hmac.compare_digest(given, expected):
        raise OutboxError("this unsubscribe link is not valid; copy the whole link")
    return contact_id


def set_consent(
    con: duckdb.DuckDBPyConnection, contact_id: str, status: ConsentStatus, via: str
) -> None:
    """Record what the contact said (the latest word wins)."""
    con.execute(
        "INSERT INTO contact_consent VALUES (?, ?, ?, ?) ON CONFLICT (contact_id) DO UPDATE SET "
        "status = excluded.status, via = excluded.via, changed_at = excluded.changed_at",
        [contact_id, status, via, _now()],
    )


def consent_of(con: duckdb.DuckDBPyConnection, contact_id: str) -> tuple[str, str, datetime] | None:
    """(status, via, changed_at) of a contact, or None when they never said."""
    rows = con.execute(
        "SELECT status, via, changed_at FROM contact_consent WHERE contact_id = ?", [contact_id]
    ).fetchall()
    return (str(rows[0][0]), str(rows[0][1]), rows[0][2]) if rows else None


def unsubscribed(con: duckdb.DuckDBPyConnection, contact_id: str) -> bool:
    found = consent_of(con, contact_id)
    return found is not None and found[0] == "unsubscribed"
