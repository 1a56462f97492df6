"""``outsidein users ...``: people who sign in, their roles, and API tokens.

Like ``outsidein keys``: the command opens the store when no server holds it, else asks the
server recorded beside the store (its record's token makes the command an admin there).
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

import duckdb
import typer
from rich.table import Table as RichTable

from outsidein.auth import tokens as t
from outsidein.auth import users as u
from outsidein.auth.passwords import generate_password
from outsidein.auth.roles import Role
from outsidein.cli.app import DbOption, app, console
from outsidein.cli.keys import ServerOption, _through_store_or_server
from outsidein.cli.server_client import Server

users_app = typer.Typer(
    help="Users, their roles and API tokens (docs/security.md).", no_args_is_help=True
)
app.add_typer(users_app, name="users")

RoleArg = Annotated[str, typer.Argument(help="admin, manager, csm or viewer")]
CsmOption = Annotated[str | None, typer.Option("--csm-id", help="A CSM's book: their csm_id")]
PasswordOption = Annotated[
    str | None, typer.Option("--password", help="Default: a generated one, printed once")
]


def _user(row: u.User | dict[str, Any]) -> dict[str, Any]:
    if isinstance(row, dict):
        return row
    return {
        "username": row.username,
        "role": row.role.label,
        "csm_id": row.csm_id,
        "disabled": row.disabled,
    }


def _change(db: Any, server: str | None, username: str, body: dict[str, Any], local: Any) -> None:
    def remote(srv: Server) -> dict[str, Any]:
        path = "/api/v1/users/" + urllib.parse.quote(username, safe="")
        result: dict[str, Any] = srv.call("PATCH", path, body=body)
        return result

    user = _user(_through_store_or_server(db, server, local, remote))
    console.print(
        f"{user['username']}: {user['role']}"
        + (f" (book {user['csm_id']})" if user.get("csm_id") else "")
        + (" [red]disabled[/]" if user["disabled"] else ""),
        highlight=False,
    )


def add_user(
    db: Any,
    server: str | None,
    username: str,
    role: str,
    password: str | None,
    csm_id: str | None,
) -> None:
    secret = password or generate_password()
    parsed = Role.parse(role)

    def local(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return _user(u.create_user(con, username, parsed, secret, csm_id))

    def remote(srv: Server) -> dict[str, Any]:
        body = {"username": username, "role": parsed.label, "password": secret, "csm_id": csm_id}
        result: dict[str, Any] = srv.call("POST", "/api/v1/users", body=body)
        return result

    user = _through_store_or_server(db, server, local, remote)
    console.print(f"added {user['username']} ({user['role']})", highlight=False)
    if password is None:
        console.print(f"  password: [bold]{secret}[/]  (shown once)", highlight=False)


@users_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Argument()] = "admin",
    password: PasswordOption = None,
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Create the first admin (or another one); the password is printed once."""
    add_user(db, server, username, "admin", password, None)


@users_app.command("add")
def add(
    username: str,
    role: RoleArg,
    csm_id: CsmOption = None,
    password: PasswordOption = None,
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Add a user with a role (a CSM names their book with --csm-id)."""
    add_user(db, server, username, role, password, csm_id)


@users_app.command("list")
def list_(db: DbOption = None, server: ServerOption = None) -> None:
    """Every user, their role and book."""

    def remote(srv: Server) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = srv.get("/api/v1/users")
        return result

    rows = _through_store_or_server(
        db, server, lambda con: [_user(x) for x in u.list_users(con)], remote
    )
    table = RichTable("user", "role", "book", "state")
    for row in rows:
        state = "disabled" if row["disabled"] else "active"
        table.add_row(row["username"], row["role"], row["csm_id"] or "", state)
    console.print(table)


@users_app.command("set-role")
def set_role(
    username: str,
    role: RoleArg,
    csm_id: CsmOption = None,
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Change a user's role; their sessions end."""
    parsed = Role.parse(role)
    _change(
        db,
        server,
        username,
        {"role": parsed.label, "csm_id": csm_id},
        lambda con: u.set_role(con, username, parsed, csm_id),
    )


@users_app.command("disable")
def disable(username: str, db: DbOption = None, server: ServerOption = None) -> None:
    """Disable a user: sessions end, tokens stop working."""
    _change(db, server, username, {"disabled": True}, lambda con: u.set_disabled(con, username))


@users_app.command("reset-password")
def reset_password(
    username: str,
    password: PasswordOption = None,
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Set a new password (generated and printed once by default); sessions end."""
    secret = password or generate_password()
    _change(
        db,
        server,
        username,
        {"password": secret},
        lambda con: u.reset_password(con, username, secret),
    )
    if password is None:
        console.print(f"  new password: [bold]{secret}[/]  (shown once)", highlight=False)


@users_app.command("token-create")
def token_create(
    username: str,
    name: Annotated[str, typer.Argument(help="What uses it, e.g. 'reporting script'")],
    scope: Annotated[str, typer.Option("--scope", help="read, write or admin")] = "read",
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Create an API token for a user; its secret is printed once."""

    def local(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        token, secret = t.create_token(con, username, name, scope)
        return {"token_id": token.token_id, "scope": token.scope, "secret": secret}

    def remote(srv: Server) -> dict[str, Any]:
        body = {"name": name, "scope": scope, "username": username}
        result: dict[str, Any] = srv.call("POST", "/api/v1/tokens", body=body)
        return result

    made = _through_store_or_server(db, server, local, remote)
    console.print(f"created token {made['token_id']} ({made['scope']}) for {username}")
    console.print(f"\n  {made['secret']}\n", highlight=False, soft_wrap=True)
    console.print(
        "[yellow]Store it now: it is not shown again.[/] Send it as "
        "Authorization: Bearer <token> (or OUTSIDEIN_API_TOKEN for --server)."
    )


@users_app.command("tokens")
def tokens(db: DbOption = None, server: ServerOption = None) -> None:
    """Every API token (never its secret)."""

    def local(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        return [
            {
                "token_id": x.token_id,
                "username": x.username,
                "name": x.name,
                "scope": x.scope,
                "revoked_at": x.revoked_at,
            }
            for x in t.list_tokens(con)
        ]

    def remote(srv: Server) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = srv.get("/api/v1/tokens")
        return result

    table = RichTable("token", "user", "name", "scope", "state")
    for row in _through_store_or_server(db, server, local, remote):
        state = "revoked" if row["revoked_at"] else "active"
        table.add_row(row["token_id"], row["username"], row["name"], row["scope"], state)
    console.print(table)


@users_app.command("token-revoke")
def token_revoke(token_id: str, db: DbOption = None, server: ServerOption = None) -> None:
    """Revoke an API token: it stops working at once."""

    def remote(srv: Server) -> dict[str, Any]:
        path = f"/api/v1/tokens/{urllib.parse.quote(token_id, safe='')}/revoke"
        result: dict[str, Any] = srv.call("POST", path)
        return result

    _through_store_or_server(db, server, lambda con: {"t": t.revoke_token(con, token_id)}, remote)
    console.print(f"revoked {token_id}")
