"""``outsidein contacts duplicates|link|unlink``: one person across systems.

The contacts' twin of ``outsidein accounts duplicates|link|unlink`` (docs/identity.md):
``duplicates`` lists contacts that look like one person (the same email, or the same name
at one domain or in one account); ``link KEEP OTHER`` merges OTHER into KEEP (its
touchpoints, cases, survey answers and ids), or with ``--reject`` records that they are two
people; ``unlink OTHER`` undoes a merge and ``unlink ID --system SYSTEM`` forgets one
external id. Each decision is audited. While ``outsidein serve`` holds the store, the server
answers (``/api/v1/identity/contacts``).
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.cli.app import DbOption, console, settings
from outsidein.cli.contacts import contacts_app
from outsidein.cli.server_client import Server, store_or_server
from outsidein.identity import (
    contact_suggestions,
    link_contacts,
    reject_contacts,
    undo_contact_merge,
    unlink_contact_id,
)

ACTOR = "cli"
API = "/api/v1/identity/contacts"


@contacts_app.command("duplicates")
def duplicates_command(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Pairs to show")] = 50,
    db: DbOption = None,
) -> None:
    """Contacts that look like one person (same email, or name and domain): review, link."""
    cfg = settings(db)
    with store_or_server(cfg.db, read_only=True) as source:
        if isinstance(source, Server):
            found: list[dict[str, Any]] = source.call("GET", f"{API}/duplicates", {"limit": limit})[
                "items"
            ]
        else:
            found = [s.__dict__ for s in contact_suggestions(source, limit)]
    if not found:
        console.print("no contacts look alike (or every pair is decided)")
        return
    table = RichTable("keep", "name", "merge", "name ", "same", title="contacts that look alike")
    for s in found:
        table.add_row(*(escape(str(x)) for x in (
            s["contact_id"], s["contact_name"] or s["contact_email"] or "",
            s["other_id"], s["other_name"] or s["other_email"] or "",
            f"{s['method']}: {s['key']}",
        )))  # fmt: skip
    console.print(table)
    console.print(
        "confirm one: outsidein contacts link KEEP MERGE; or say they differ: "
        "outsidein contacts link KEEP MERGE --reject",
        highlight=False,
    )


@contacts_app.command("link")
def link_command(
    contact_id: Annotated[str, typer.Argument(help="The contact kept")],
    other_id: Annotated[str, typer.Argument(help="The contact merged into it")],
    reject_: Annotated[
        bool, typer.Option("--reject", help="They are different people: never suggest them")
    ] = False,
    db: DbOption = None,
) -> None:
    """Merge OTHER into CONTACT (touchpoints, cases, answers, ids); undo with unlink."""
    cfg = settings(db)
    body = {"contact_id": contact_id, "other_id": other_id}
    with store_or_server(cfg.db, read_only=False) as source:
        if isinstance(source, Server):
            path = f"{API}/rejections" if reject_ else f"{API}/links"
            answer: dict[str, Any] = source.call("POST", path, body=body)
            moved = answer.get("moved", {})
        elif reject_:
            reject_contacts(source, contact_id, other_id, ACTOR)
            moved = {}
        else:
            merge = link_contacts(source, contact_id, other_id, ACTOR)
            moved = {k: len(v) for k, v in merge.moved.items()}
    if reject_:
        console.print(f"{contact_id} and {other_id}: different people; recorded")
        return
    parts = ", ".join(f"{name} {n:,}" for name, n in moved.items() if n)
    console.print(
        f"merged {other_id} into {contact_id} ({parts or 'nothing else moved'}); recorded. "
        f"Undo: outsidein contacts unlink {other_id}",
        highlight=False,
    )


@contacts_app.command("unlink")
def unlink_command(
    merged_id: Annotated[str, typer.Argument(help="A merged contact's id, or an external id")],
    system: Annotated[
        str | None,
        typer.Option("--system", help="Forget this system's id instead of undoing a merge"),
    ] = None,
    db: DbOption = None,
) -> None:
    """Undo the merge of a contact, or (with --system) forget one external id."""
    cfg = settings(db)
    quoted = urllib.parse.quote(merged_id, safe="")
    with store_or_server(cfg.db, read_only=False) as source:
        if isinstance(source, Server):
            if system:
                path = f"{API}/external-ids/{urllib.parse.quote(system, safe='')}/{quoted}"
            else:
                path = f"{API}/links/{quoted}"
            contact: str = source.call("DELETE", path)["contact_id"]
        elif system:
            contact = unlink_contact_id(source, system, merged_id, ACTOR)
        else:
            contact = undo_contact_merge(source, merged_id, ACTOR).contact_id
    what = f"{system} id {merged_id}" if system else f"contact {merged_id}"
    console.print(f"{what} is no longer linked to {contact}; recorded", highlight=False)
