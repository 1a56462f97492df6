"""People who sign in: their name, role, book (a CSM's ``csm_id``) and password hash.

Every change is one transaction with its audit entry (``user.*``, by ``actor``: the
signed-in user's name, or ``cli``), so 20 clients creating users at once lose none; a name
taken twice answers 409 to the second. Disabling a user or resetting
their password ends their sessions; a disabled user's tokens stop working at once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from outsidein.auth.errors import UserExistsError
from outsidein.auth.passwords import hash_password, verify_password
from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.store import audit

NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,99}")
_COLUMNS = "user_id, username, role, csm_id, disabled, created_at, updated_at"


@dataclass(frozen=True)
class User:
    """A user as listed: never the password hash."""

    user_id: str
    username: str
    role: Role
    csm_id: str | None
    disabled: bool
    created_at: datetime
    updated_at: datetime


def now() -> datetime:
    """Naive UTC, like every timestamp in the store."""
    return datetime.now(UTC).replace(tzinfo=None)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not NAME.fullmatch(name):
        raise InvalidRequestError(
            f"user name {username!r}: use 1-100 letters, digits and . _ @ + - "
            "(starting with a letter or digit)",
            field="username",
            value=username,
        )
    return name


def _check_book(role: Role, csm_id: str | None) -> str | None:
    csm_id = (csm_id or "").strip() or None
    if role == Role.CSM and csm_id is None:
        raise InvalidRequestError(
            "a CSM needs --csm-id (their id in the csms table): their book is the accounts "
            "whose CSM it is",
            field="csm_id",
        )
    return csm_id


def _user(row: tuple[object, ...]) -> User:
    uid, name, role, csm_id, disabled, created, updated = row
    return User(
        str(uid),
        str(name),
        Role.parse(str(role)),
        None if csm_id is None else str(csm_id),
        bool(disabled),
        created,  # type: ignore[arg-type]
        updated,  # type: ignore[arg-type]
    )


def create_user(
    con: duckdb.DuckDBPyConnection,
    username: str,
    role: Role,
    password: str,
    csm_id: str | None = None,
    *,
    actor: str | None = "cli",
) -> User:
    """Add a user; :class:`UserExistsError` when the name is taken."""
    name = check_username(username)
    book = _check_book(role, csm_id)
    digest = hash_password(password)
    stamp = now()
    uid = "u_" + secrets.token_hex(8)
    detail = {"role": role.label, "csm_id": book}
    try:
        with audit.audited(con, actor=actor, action="user.create", target=name, detail=detail):
            con.execute(
                "INSERT INTO users (user_id, username, role, csm_id, password_hash, disabled, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, false, ?, ?)",
                [uid, name, role.label, book, digest, stamp, stamp],
            )
    except (duckdb.ConstraintException, duckdb.TransactionException):
        raise UserExistsError(f"a user named {name!r} exists already", username=name) from None
    return User(uid, name, role, book, False, stamp, stamp)


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username").fetchall()
    return [_user(r) for r in rows]


def count_users(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM users WHERE NOT disabled").fetchone()
    return int(row[0]) if row else 0


def get_user(con: duckdb.DuckDBPyConnection, username: str) -> User:
    name = username.strip().lower()
    row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE username = ?", [name]).fetchone()
    if row is None:
        raise NotFoundError(f"no user named {name!r} (`outsidein users list` lists them)")
    return _user(row)


def user_by_id(con: duckdb.DuckDBPyConnection, user_id: str) -> User | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE user_id = ?", [user_id]).fetchone()
    return None if row is None else _user(row)


def _update(con: duckdb.DuckDBPyConnection, username: str, sets: str, values: list[object]) -> User:
    user = get_user(con, username)
    con.execute(
        f"UPDATE users SET {sets}, updated_at = ? WHERE user_id = ?",
        [*values, now(), user.user_id],
    )
    return get_user(con, username)


def set_role(
    con: duckdb.DuckDBPyConnection,
    username: str,
    role: Role,
    csm_id: str | None = None,
    *,
    actor: str | None = "cli",
) -> User:
    """Change a user's role (a CSM names their book); their sessions end."""
    current = get_user(con, username)
    book = _check_book(role, csm_id if csm_id is not None else current.csm_id)
    detail = {"from": current.role.label, "to": role.label, "csm_id": book}
    with audit.audited(con, actor=actor, action="user.role", target=current.username,
                       detail=detail):  # fmt: skip
        user = _update(con, username, "role = ?, csm_id = ?", [role.label, book])
        end_sessions(con, user.user_id)
    return user


def set_disabled(
    con: duckdb.DuckDBPyConnection,
    username: str,
    disabled: bool = True,
    *,
    actor: str | None = "cli",
) -> User:
    action = "user.disable" if disabled else "user.enable"
    with audit.audited(con, actor=actor, action=action, target=get_user(con, username).username):
        user = _update(con, username, "disabled = ?", [disabled])
        end_sessions(con, user.user_id)
    return user


def reset_password(
    con: duckdb.DuckDBPyConnection, username: str, password: str, *, actor: str | None = "cli"
) -> User:
    digest = hash_password(password)
    target = get_user(con, username).username
    with audit.audited(con, actor=actor, action="user.password", target=target):
        user = _update(con, username, "password_hash = ?", [digest])
        end_sessions(con, user.user_id)
    return user


def end_sessions(con: duckdb.DuckDBPyConnection, user_id: str) -> None:
    con.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])


def authenticate(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    """The enabled user with this name and password; None otherwise (same time either way)."""
    row = con.execute(
        f"SELECT {_COLUMNS}, password_hash FROM users WHERE username = ?",
        [username.strip().lower()],
    ).fetchone()
    stored = None if row is None else str(row[-1])
    if not verify_password(stored, password) or row is None:
        return None
    user = _user(row[:-1])
    return None if user.disabled else user


__all__ = [
    "User",
    "authenticate",
    "check_username",
    "count_users",
    "create_user",
    "get_user",
    "list_users",
    "reset_password",
    "set_disabled",
    "set_role",
    "user_by_id",
]
