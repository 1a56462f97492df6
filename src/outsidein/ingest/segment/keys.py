"""Write keys: created with a secret shown once, stored only as a SHA-256, revocable.

Keys are 32 random URL-safe bytes' worth of entropy, so a plain SHA-256 is enough to make a
stolen database useless for sending (a slow password hash guards low-entropy secrets; these
are not). The server keeps the hashes in a :class:`KeyRing` and checks a request's key with
one hash and one dictionary lookup, never a query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from outsidein.errors import InvalidRequestError
from outsidein.ingest.segment.errors import KeyNotFoundError, WriteKeyError
from outsidein.store import audit

SECRET_PREFIX = "oiwk_"
SHOWN_PREFIX = 10  # characters of the secret kept in clear, to recognise a key in lists
MAX_NAME = 100
MASTER_DATA = "master-data"
SCOPES = (MASTER_DATA,)  # beyond sending events and creating what a call names
_COLUMNS = "key_id, name, key_prefix, created_at, revoked_at, coalesce(scopes, [])"


@dataclass(frozen=True)
class WriteKey:
    """A write key as listed: never its secret."""

    key_id: str
    name: str
    key_prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "scopes", tuple(self.scopes))

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class CreatedKey:
    """A new key and its secret: the only time the secret exists outside the client."""

    key: WriteKey
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: Sequence[str]) -> list[str]:
    """``scopes`` without repeats, each one of :data:`SCOPES`, or an error naming the valid."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidRequestError(
            f"unknown write-key scope {unknown[0]!r}; the scopes are: {', '.join(SCOPES)}"
        )
    return sorted(set(scopes))


def create_key(
    con: duckdb.DuckDBPyConnection,
    name: str,
    scopes: Sequence[str] = (),
    *,
    actor: str | None = "cli",
) -> CreatedKey:
    """Create a write key named ``name``; the returned secret is not stored anywhere.

    ``scopes`` widen what the key may do (:data:`SCOPES`); none is the safe default for a
    key that a browser sends, so anyone may read it.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidRequestError(f"a key name must be 1 to {MAX_NAME} characters, got {name!r}")
    chosen = check_scopes(scopes)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key_id = "wk_" + secrets.token_hex(6)
    with audit.audited(
        con,
        actor=actor,
        action="key.create",
        target=key_id,
        detail={"name": name, "scopes": chosen},
    ):
        row = con.execute(
            "INSERT INTO write_keys (key_id, name, key_hash, key_prefix, created_at, scopes) "
            f"VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?) RETURNING {_COLUMNS}",
            [key_id, name, hash_secret(secret), secret[:SHOWN_PREFIX], chosen],
        ).fetchall()[0]
    return CreatedKey(WriteKey(*row), secret)


def list_keys(con: duckdb.DuckDBPyConnection) -> list[WriteKey]:
    """Every key, oldest first, revoked ones included."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM write_keys ORDER BY created_at, key_id").fetchall()
    return [WriteKey(*row) for row in rows]


def revoke_key(
    con: duckdb.DuckDBPyConnection, key_id: str, *, actor: str | None = "cli"
) -> WriteKey:
    """Revoke ``key_id`` (again is a no-op, not audited again); requests with it get 401."""
    found = con.execute(f"SELECT {_COLUMNS} FROM write_keys WHERE key_id = ?", [key_id])
    rows = found.fetchall()
    if not rows:
        raise KeyNotFoundError(f"no write key {key_id!r}; `outsidein keys list` shows them")
    if rows[0][4] is not None:
        return WriteKey(*rows[0])
    with audit.audited(
        con, actor=actor, action="key.revoke", target=key_id, detail={"name": rows[0][1]}
    ):
        rows = con.execute(
            "UPDATE write_keys SET revoked_at = coalesce(revoked_at, now()::TIMESTAMP) "
            f"WHERE key_id = ? RETURNING {_COLUMNS}",
            [key_id],
        ).fetchall()
    return WriteKey(*rows[0])


def master_data_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The ``source`` (``segment:KEY_ID``) of every key whose traits may replace file values.

    Revoked keys stay in: what they sent before the revocation was sent with the scope.
    """
    rows = con.execute(
        "SELECT 'segment:' || key_id FROM write_keys WHERE list_contains(scopes, ?)",
        [MASTER_DATA],
    ).fetchall()
    return [row[0] for row in rows]


def secret_from_authorization(header: str | None) -> str | None:
    """The key from ``Authorization: Basic base64(key:)``; None when there is no header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise WriteKeyError(
            "Authorization must be HTTP Basic with the write key as user and an empty password"
        )
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise WriteKeyError("Authorization: Basic credentials are not valid base64") from None
    return decoded.partition(":")[0] or None


class KeyRing:
    """The server's copy of the key hashes: checked per request, reloaded on every change."""

    def __init__(self) -> None:
        self._by_hash: dict[str, WriteKey] = {}
        self._lock = threading.Lock()

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = con.execute(f"SELECT key_hash, {_COLUMNS} FROM write_keys").fetchall()
        keys = {row[0]: WriteKey(*row[1:]) for row in rows}
        with self._lock:
            self._by_hash = keys

    def authenticate(self, secret: str | None) -> WriteKey:
        """The active key for ``secret``, or :class:`WriteKeyError` saying what is wrong."""
        if not secret:
            raise WriteKeyError(
                "no write key: send it as the HTTP Basic user (empty password) or as "
                "`writeKey` in the body; `outsidein keys create NAME` makes one"
            )
        key = self._by_hash.get(hash_secret(secret))
        if key is None:
            raise WriteKeyError("unknown write key; `outsidein keys list` shows the valid ones")
        if key.revoked:
            raise WriteKeyError(
                f"write key {key.key_id} ({key.name}) was revoked at {key.revoked_at}"
            )
        return key


__all__ = [
    "MASTER_DATA",
    "SCOPES",
    "CreatedKey",
    "KeyRing",
    "WriteKey",
    "check_scopes",
    "create_key",
    "hash_secret",
    "list_keys",
    "master_data_sources",
    "revoke_key",
    "secret_from_authorization",
]
