"""``outsidein accounts duplicates|link|unlink``: one customer across systems.

``duplicates`` lists accounts that look the same (normalised name or domain, not decided
yet); ``link KEEP OTHER`` merges OTHER into KEEP (its rows, ids and custom fields), or with
``--reject`` records that they are different customers; ``unlink OTHER`` undoes a merge and
``unlink ID --system SYSTEM`` forgets one external id. Each decision is audited. While
``outsidein serve`` holds the store, the server answers (``/api/v1/identity``).
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.cli.accounts import accounts_app
from outsidein.cli.app import DbOption, console, settings
from outsidein.cli.server_client import Server, store_or_server
from outsidein.identity import link, reject, suggestions, undo_merge, unlink_id

ACTOR = "cli"


@accounts_app.command("duplicates")
def duplicates_command(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Pairs to show")] = 50,
    db: DbOption = None,
) -> None:
    """Accounts that look like one customer (same name or domain): review, then link."""
    cfg = settings(db)
    with store_or_server(cfg.db, read_only=True) as source:
        if isinstance(source, Server):
            found: list[dict[str, Any]] = source.call(
                "GET", "/api/v1/identity/duplicates", {"limit": limit}
            )["items"]
        else:
            found = [s.__dict__ for s in suggestions(source, limit)]
    if not found:
        console.print("no accounts look alike (or every pair is decided)")
        return
    table = RichTable("keep", "name", "merge", "name ", "same", title="accounts that look alike")
    for s in found:
        table.add_row(*(escape(str(x)) for x in (
            s["account_id"], s["account_name"], s["other_id"], s["other_name"],
            f"{s['method']}: {s['key']}",
        )))  # fmt: skip
    console.print(table)
    console.print(
        "confirm one: outsidein accounts link KEEP MERGE; or say they differ: "
        "outsidein accounts link KEEP MERGE --reject",
        highlight=False,
    )


@accounts_app.command("link")
def link_command(
    account_id: Annotated[str, typer.Argument(help="The account kept")],
    other_id: Annotated[str, typer.Argument(help="The account merged into it")],
    reject_: Annotated[
        bool, typer.Option("--reject", help="They are different customers: never suggest them")
    ] = False,
    db: DbOption = None,
) -> None:
    """Merge OTHER into ACCOUNT (rows, external ids, custom fields); undo with unlink."""
    cfg = settings(db)
    body = {"account_id": account_id, "other_id": other_id}
    with store_or_server(cfg.db, read_only=False) as source:
        if isinstance(source, Server):
            path = "/api/v1/identity/rejections" if reject_ else "/api/v1/identity/links"
            answer: dict[str, Any] = source.call("POST", path, body=body)
            moved = answer.get("moved", {})
        elif reject_:
            reject(source, account_id, other_id, ACTOR)
            moved = {}
        else:
            moved = {k: len(v) for k, v in link(source, account_id, other_id, ACTOR).moved.items()}
    if reject_:
        console.print(f"{account_id} and {other_id}: different customers; recorded")
        return
    parts = ", ".join(f"{name} {n:,}" for name, n in moved.items() if n)
    console.print(
        f"merged {other_id} into {account_id} ({parts or 'nothing else moved'}); recorded. "
        f"Undo: outsidein accounts unlink {other_id}",
        highlight=False,
    )


@accounts_app.command("unlink")
def unlink_command(
    merged_id: Annotated[str, typer.Argument(help="A merged account's id, or an external id")],
    system: Annotated[
        str | None,
        typer.Option("--system", help="Forget this system's id instead of undoing a merge"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Undo the merge of an account, or (with --system) forget one external id."""
    cfg = settings(db)
    quoted = urllib.parse.quote(merged_id, safe="")
    with store_or_server(cfg.db, read_only=False) as source:
        if isinstance(source, Server):
            if system:
                path = (
                    f"/api/v1/identity/external-ids/{urllib.parse.quote(system, safe='')}/{quoted}"
                )
            else:
                path = f"/api/v1/identity/links/{quoted}"
            account: str = source.call("DELETE", path)["account_id"]
        elif system:
            account = unlink_id(source, system, merged_id, ACTOR)
        else:
            account = undo_merge(source, merged_id, ACTOR).account_id
    what = f"{system} id {merged_id}" if system else f"account {merged_id}"
    console.print(f"{what} is no longer linked to {account}; recorded", highlight=False)
