"""``outsidein keys create|list|revoke``: write keys for the Segment-compatible API.

The store has one writer at a time. With no server running the command opens the store
itself; while ``outsidein serve`` owns it, the command asks that server instead (over
``/api/v1/segment/keys``, which answers only on the same machine), so keys can be managed
without stopping ingestion.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from rich.table import Table as RichTable

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.errors import OutsideInError, StoreLockedError
from outsidein.ingest.segment import create_key, ingestion_overview, revoke_key
from outsidein.store import connect

T = TypeVar("T")

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


class ServerUnreachableError(OutsideInError):
    """The store is locked by a server that does not answer."""

    code = "server_unreachable"
    exit_code = 3


def _through_store_or_server(
    db: Any,
    server: str | None,
    local: Callable[[duckdb.DuckDBPyConnection], T],
    remote: Callable[[str], T],
) -> T:
    cfg = settings(db)
    try:
        con = connect(cfg.db)
    except StoreLockedError as exc:
        url = (server or f"http://{cfg.host}:{cfg.port}").rstrip("/")
        try:
            return remote(url)
        except urllib.error.URLError as err:
            raise ServerUnreachableError(
                f"{exc.message}; and no server answered at {url} ({err.reason}). "
                "Pass --server URL of the server that owns the store."
            ) from None
    try:
        return local(con)
    finally:
        con.close()


def _request(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        try:
            error = json.loads(err.read())["error"]
        except (ValueError, KeyError, TypeError):
            raise OutsideInError(f"{url}: HTTP {err.code}") from None
        failure = OutsideInError(error["message"])
        failure.exit_code = 2 if err.code < 500 else 1
        raise failure from None


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What sends with this key, e.g. 'web app'")],
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Create a write key. Its secret is printed this once and stored only as a hash."""

    def local(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        created = create_key(con, name)
        return {"key_id": created.key.key_id, "name": created.key.name, "secret": created.secret}

    def remote(url: str) -> dict[str, Any]:
        result: dict[str, Any] = _request(f"{url}/api/v1/segment/keys", "POST", {"name": name})
        return result

    key = _through_store_or_server(db, server, local, remote)
    console.print(f"created write key [bold]{key['key_id']}[/] ({key['name']})", highlight=False)
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

    def remote(url: str) -> list[dict[str, Any]]:
        keys: list[dict[str, Any]] = _request(f"{url}/api/v1/segment/activity")["keys"]
        return keys

    keys = _through_store_or_server(db, server, local, remote)
    if not keys:
        console.print('no write keys yet; `outsidein keys create "web app"` makes one')
        return
    table = RichTable("name", "starts with", "created", "status", "last seen", "accepted",
                      "rejected")  # fmt: skip
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
            key["key_id"],
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id, as `outsidein keys list` shows")],
    db: DbOption = None,
    server: ServerOption = None,
) -> None:
    """Revoke a write key: requests sending it get 401 from now on."""

    def local(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
        return revoke_key(con, key_id).__dict__

    def remote(url: str) -> dict[str, Any]:
        result: dict[str, Any] = _request(
            f"{url}/api/v1/segment/keys/{urllib.parse.quote(key_id, safe='')}/revoke", "POST"
        )
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
