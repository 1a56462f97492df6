"""``outsidein keys create|list|revoke``: write keys for the Segment-compatible API.

The store has one writer at a time. With no server running the command opens the store
itself; while ``outsidein serve`` owns it, the command asks that server instead (over
``/api/v1/segment/keys``, which answers only on the same machine; see
:mod:`outsidein.cli.server_client`), so keys can be managed without stopping ingestion.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from rich.table import Table as RichTable

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.cli.server_client import Server, ServerUnreachableError, store_or_server
from outsidein.ingest.segment import check_scopes, create_key, ingestion_overview, revoke_key

T = TypeVar("T")
__all__ = ["ServerUnreachableError", "keys_app"]

keys_app = typer.Typer(
    help="Write keys for the Segment-compatible ingestion API (/v1/track, /v1/batch, ...).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="URL of the running server to ask when it holds the store "
        "[default http://OUTSIDEIN_HOST:OUTSIDEIN_PORT]",
    ),
]


def _through_store_or_server(
    db: Any,
    server: str | None,
    local: Callable[[duckdb.DuckDBPyConnection], T],
    remote: Callable[[Server], T],
) -> T:
    cfg = settings(db)
    fallback = f"http://{cfg.host}:{cfg.port}"
    with store_or_server(
        cfg.db, read_only=False, server=server, fallback=fallback, note=False
    ) as source:
        if isinstance(source, Server):
            return remote(source)
        return local(source)


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What sends with this key, e.g. 'web app'")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="Widen the key (repeatable). 'master-data': its traits may replace values a "
            "file load set. Without it a key sends events and creates what it names only.",
        ),
    ] = None,
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Create a write key. Its secret is printed this once and stored only as a hash."""
    scopes = check_scopes(scope or [])

    def local(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        created = create_key(con, name, scopes)
        return {"key_id": created.key.key_id, "name": created.key.name, "secret": created.secret}

    def remote(server: Server) -> dict[str, Any]:
        body = {"name": name, "scopes": scopes}
        result: dict[str, Any] = server.call("POST", "/api/v1/segment/keys", body=body)
        return result

    key = _through_store_or_server(db, server, local, remote)
    console.print(
        f"created write key [bold]{key['key_id']}[/] ({key['name']}), scopes: "
        f"{', '.join(scopes) or 'none (events, new accounts and users)'}",
        highlight=False,
    )
    console.print(f"\n  {key['secret']}\n", highlight=False, soft_wrap=True)
    console.print(
        "[yellow]Store it now: it is not shown again.[/] Clients send it as the HTTP Basic "
        "user (empty password) or as writeKey in the body.",
        highlight=False,
    )


@keys_app.command("list")
def list_(db: DbOption = None, server: ServerOption = None) -> None:
    """List write keys with what each sent: accepted, rejected, last seen."""

    def local(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        return [key.__dict__ for key in ingestion_overview(con).keys]

    def remote(server: Server) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = server.get("/api/v1/segment/activity")["keys"]
        return keys

    keys = _through_store_or_server(db, server, local, remote)
    if not keys:
        console.print('no write keys yet; `outsidein keys create "web app"` makes one')
        return
    table = RichTable("name", "starts with", "created", "status", "last seen", "accepted",
                      "rejected")  # fmt: skip
    table.add_column("scopes")
    table.add_column("held back")
    table.add_column("key id", no_wrap=True)
    for key in keys:
        table.add_row(
            key["name"],
            key["key_prefix"] + "…",
            _when(key["created_at"]),
            "[red]revoked[/]" if key["revoked_at"] else "[green]active[/]",
            _when(key["last_seen"]) or "never",
            f"{key['accepted']:,}",
            f"{key['rejected']:,}",
            ", ".join(key.get("scopes") or []) or "—",
            _held(int(key.get("held_back") or 0)),
            key["key_id"],
        )
    console.print(table)


def _held(count: int) -> str:
    """Traits of the key a file's value keeps out (docs/operations.md#write-key-scopes)."""
    return f"{count:,} trait{'' if count == 1 else 's'}" if count else "—"


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id, as `outsidein keys list` shows")],
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Revoke a write key: requests sending it get 401 from now on."""

    def local(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return revoke_key(con, key_id).__dict__

    def remote(server: Server) -> dict[str, Any]:
        path = f"/api/v1/segment/keys/{urllib.parse.quote(key_id, safe='')}/revoke"
        result: dict[str, Any] = server.call("POST", path)
        return result

    key = _through_store_or_server(db, server, local, remote)
    console.print(
        f"revoked write key [bold]{key['key_id']}[/] ({key['name']}) at {_when(key['revoked_at'])}",
        highlight=False,
    )


def _when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M")
