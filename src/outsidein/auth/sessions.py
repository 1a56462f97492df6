"""Server-side sessions: the cookie holds a random id, the store its SHA-256 and the CSRF
token. Ending a session deletes its row, so a stolen cookie dies with the logout.

This layer does not know how a user proved who they are: :func:`start_session` takes a
:class:`~outsidein.auth.users.User` already verified, with the ``method`` that verified it.
Password login (``outsidein.auth.users.authenticate``) is one such method; an OIDC login
would be another (verify the ID token, find the user, call :func:`start_session` with
``method="oidc"``) without touching the rest (docs/security.md).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import duckdb

from outsidein.auth.users import User, now, user_by_id

COOKIE = "outsidein_session"


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the cookie's value (only here, never stored) and its CSRF token."""

    cookie: str
    user: User
    csrf_token: str
    max_age: int


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(
    con: duckdb.DuckDBPyConnection, user: User, hours: float, method: str = "password"
) -> Session:
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    stamp = now()
    con.execute(
        "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
        [_digest(cookie), user.user_id, csrf, method, stamp, stamp + timedelta(hours=hours)],
    )
    return Session(cookie, user, csrf, int(hours * 3600))


def find_session(con: duckdb.DuckDBPyConnection, cookie: str) -> tuple[User, str] | None:
    """The enabled user and CSRF token of a live session; None for anything else."""
    if not cookie or len(cookie) > 200:
        return None
    row = con.execute(
        "SELECT user_id, csrf_token FROM sessions WHERE session_hash = ? AND expires_at > ?",
        [_digest(cookie), now()],
    ).fetchone()
    if row is None:
        return None
    user = user_by_id(con, str(row[0]))
    if user is None or user.disabled:
        return None
    return user, str(row[1])


def end_session(con: duckdb.DuckDBPyConnection, cookie: str) -> None:
    con.execute("DELETE FROM sessions WHERE session_hash = ?", [_digest(cookie)])


def prune_sessions(con: duckdb.DuckDBPyConnection) -> None:
    """Remove expired sessions (they are refused anyway; this keeps the table small)."""
    con.execute("DELETE FROM sessions WHERE expires_at <= ?", [now()])


__all__ = ["COOKIE", "Session", "end_session", "find_session", "prune_sessions", "start_session"]
