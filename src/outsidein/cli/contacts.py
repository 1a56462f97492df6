"""``outsidein contacts erase ID``: erase a contact's personal data on request.

Runs :func:`outsidein.store.erasure.erase_contact` on the store, or asks the server that
holds it (``POST /api/v1/admin/contacts/{id}/erase``). Audited; running it again is harmless.
"""

from __future__ import annotations

import urllib.parse
from typing import Annotated, Any

import typer

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.cli.server_client import Server, store_or_server
from outsidein.store.erasure import erase_contact

contacts_app = typer.Typer(
    help="Contacts: one person across systems (duplicates, link, unlink); erase one's "
    "personal data.",
    no_args_is_help=True,
)
app.add_typer(contacts_app, name="contacts")


@contacts_app.command("erase")
def erase(
    contact_id: Annotated[str, typer.Argument(help="The contact id (the Segment userId)")],
    db: DbOption = None,
) -> None:
    """Anonymise a contact: name, email, title, personal traits, properties and free text."""
    cfg = settings(db)
    with store_or_server(cfg.db, read_only=False) as source:
        if isinstance(source, Server):
            path = f"/api/v1/admin/contacts/{urllib.parse.quote(contact_id, safe='')}/erase"
            got: dict[str, Any] = source.call("POST", path)
            changed, total = got["changed"], got["total"]
        else:
            done = erase_contact(source, contact_id, actor="cli")
            changed, total = done.changed, done.total
    if not total:
        console.print(f"{contact_id}: nothing left to erase (erased already); recorded")
        return
    parts = ", ".join(f"{table} {n:,}" for table, n in changed.items() if n)
    console.print(f"erased the personal data of {contact_id}: {parts} rows changed; recorded")
