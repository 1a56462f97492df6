"""API tokens for ``/api/v1`` (``Authorization: Bearer oiat_...``): a user's, with a scope.

Separate from the ingestion write keys (``oiwk_``), which only send events. The secret is
shown once and stored as a SHA-256 (32 random bytes: no slow hash needed, as for write keys).
A token acts as its user, capped by its scope; a disabled user's tokens stop working.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import duckdb

from outsidein.auth.roles import ScopeName, check_scope
from outsidein.auth.users import User, get_user, now, user_by_id
from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.store import audit

PREFIX = "oiat_"
MAX_NAME = 100


@dataclass(frozen=True)
class ApiToken:
    """A token as listed: never its secret."""

    token_id: str
    username: str
    name: str
    scope: ScopeName
    created_at: datetime
    revoked_at: datetime | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    con: duckdb.DuckDBPyConnection,
    username: str,
    name: str,
    scope: str,
    *,
    actor: str | None = "cli",
) -> tuple[ApiToken, str]:
    """A new token of ``username`` and its secret (returned once, stored only hashed)."""
    user = get_user(con, username)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidRequestError(
            f"a token needs a name of 1-{MAX_NAME} characters", field="name", value=name
        )
    checked = check_scope(scope)
    token_id = "t_" + secrets.token_hex(6)
    secret = PREFIX + secrets.token_urlsafe(32)
    stamp = now()
    detail = {"user": user.username, "name": name, "scope": checked}
    with audit.audited(con, actor=actor, action="token.create", target=token_id, detail=detail):
        con.execute(
            "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, NULL)",
            [token_id, user.user_id, name, checked, _digest(secret), stamp],
        )
    return ApiToken(token_id, user.username, name, checked, stamp), secret


def list_tokens(con: duckdb.DuckDBPyConnection, username: str | None = None) -> list[ApiToken]:
    rows = con.execute(
        "SELECT t.token_id, u.username, t.name, t.scope, t.created_at, t.revoked_at "
        "FROM api_tokens t JOIN users u USING (user_id) "
        "WHERE $name IS NULL OR u.username = $name ORDER BY t.created_at, t.token_id",
        {"name": None if username is None else username.strip().lower()},
    ).fetchall()
    return [ApiToken(str(r[0]), str(r[1]), str(r[2]), r[3], r[4], r[5]) for r in rows]


def revoke_token(
    con: duckdb.DuckDBPyConnection, token_id: str, *, actor: str | None = "cli"
) -> ApiToken:
    """Revoke ``token_id`` (audited; revoking it again changes and records nothing)."""
    found = [token for token in list_tokens(con) if token.token_id == token_id]
    if not found:
        raise NotFoundError(f"no API token {token_id!r} (`outsidein users tokens` lists them)")
    if found[0].revoked_at is not None:
        return found[0]
    detail = {"user": found[0].username, "name": found[0].name}
    with audit.audited(con, actor=actor, action="token.revoke", target=token_id, detail=detail):
        con.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
            [now(), token_id],
        )
    return next(token for token in list_tokens(con) if token.token_id == token_id)


def find_token(con: duckdb.DuckDBPyConnection, secret: str) -> tuple[User, ScopeName] | None:
    """The enabled user and scope of a live token; None for anything else."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = con.execute(
        "SELECT user_id, scope FROM api_tokens WHERE secret_hash = ? AND revoked_at IS NULL",
        [_digest(secret)],
    ).fetchone()
    if row is None:
        return None
    user = user_by_id(con, str(row[0]))
    if user is None or user.disabled:
        return None
    return user, row[1]


__all__ = ["PREFIX", "ApiToken", "create_token", "find_token", "list_tokens", "revoke_token"]
