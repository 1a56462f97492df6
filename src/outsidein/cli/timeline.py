"""``outsidein accounts timeline ID`` and ``outsidein accounts note ID TEXT``: an account's
one thread, and a note, call or meeting logged on it.

The same function as the account page and ``/api/v1/accounts/{id}/timeline``
(:func:`outsidein.timeline.account_timeline`); while ``outsidein serve`` holds the store, the
server answers and stores the note (its author is then ``cli``, as in the audit log).
"""

from __future__ import annotations

import urllib.parse
from datetime import datetime
from typing import Annotated

import pyarrow as pa
import typer

from outsidein.cli.accounts import accounts_app
from outsidein.cli.app import DbOption, console, settings
from outsidein.cli.metrics import Out, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.timeline import NOTE_KINDS, Note, TimelinePage, account_timeline, add_note
from outsidein.web.params import MAX_PAGE_SIZE

AUTHOR = "cli"  # who a note from the command line is by (the server says the same)
COLUMNS = ["at", "kind", "title", "detail", "actor"]


def _path(account_id: str, tail: str) -> str:
    return f"/api/v1/accounts/{urllib.parse.quote(account_id, safe='')}/{tail}"


@accounts_app.command("timeline")
def timeline_command(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    q: Annotated[str, typer.Option("--q", help="Text to look for in title, detail, who")] = "",
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this kind (repeat for more)")
    ] = None,
    page: Annotated[int, typer.Option(min=1, help="Page, newest first")] = 1,
    page_size: Annotated[int, typer.Option(min=1, max=MAX_PAGE_SIZE, help="Items a page")] = 25,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Everything that happened to an account, newest first: touchpoints, cases, survey
    answers, notes, calls and meetings, health changes, subscriptions."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            params = {"q": q, "kinds": kind or None, "page": page, "page_size": page_size}
            found = TimelinePage.model_validate(store.get(_path(account_id, "timeline"), params))
        else:
            found = account_timeline(store, account_id, q=q, kinds=kind, page=page,
                                     page_size=page_size)  # fmt: skip
    rows = [i.model_dump() for i in found.items]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in COLUMNS})
    shown = f" matching {q!r}" if q else ""
    title = (
        f"{account_id}: {found.total:,} items{shown}, page {found.page} of {found.pages} "
        "(newest first)"
    )
    _show(table, title, out, COLUMNS)


@accounts_app.command("note")
def note_command(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    text: Annotated[str, typer.Argument(help="What to write down")],
    kind: Annotated[str, typer.Option(help=f"One of {', '.join(NOTE_KINDS)}")] = "note",
    subject: Annotated[str | None, typer.Option(help="A short subject")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When a call or meeting was, ISO 8601 (UTC)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Log a note, call or meeting on an account; it is on its timeline at once."""
    when = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise typer.BadParameter(
                "use an ISO 8601 time, e.g. 2026-11-30T14:00", param_hint="--at"
            ) from None
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            body = {"kind": kind, "body": text, "subject": subject,
                    "at": when.isoformat() if when else None}  # fmt: skip
            note = Note.model_validate(store.call("POST", _path(account_id, "notes"), body=body))
        else:
            note = add_note(store, account_id, body=text, author=AUTHOR, kind=kind,
                            subject=subject, at=when)  # fmt: skip
    console.print(f"logged a {note.kind} on {note.account_id} at {note.at:%Y-%m-%d %H:%M} UTC "
                  f"by {note.author} ({note.note_id})", highlight=False)  # fmt: skip
