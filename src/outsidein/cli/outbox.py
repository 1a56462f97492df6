"""``outsidein outbox list|show|retry|send-test|deliver|consent``: the outbox in a terminal.

The same readings as ``/api/v1/outbox`` (shaped by its models); while ``outsidein serve``
holds the store, that server answers, and its pipeline step delivers. Without a server,
``deliver`` sends what is due (and ``send-test`` sends its message at once).
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import typer
from rich.table import Table

from outsidein import outbox
from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.server_client import Server, open_for_writing, store_or_server
from outsidein.config import OutsideInConfig
from outsidein.outbox.queue import Status
from outsidein.settings.outbox import OutboxSettings
from outsidein.store.config_versions import read_config_file, seed
from outsidein.web.schemas.outbox import AttemptOut, MessageDetail, MessageList, MessageOut

outbox_app = typer.Typer(
    name="outbox", help="Automated emails and webhooks: list, show, retry.", no_args_is_help=True
)
app.add_typer(outbox_app)

MessageId = Annotated[str, typer.Argument(help="The message's id (msg_...)")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _config(con: duckdb.DuckDBPyConnection, path: Path | None, write: bool) -> OutsideInConfig:
    """The configuration in force: the store's versioned copy, seeded from the file."""
    cur = con.cursor()
    try:
        return seed(cur, read_config_file(path), record=write).config
    finally:
        cur.close()


def _path(message_id: str, tail: str = "") -> str:
    return f"/api/v1/outbox/messages/{urllib.parse.quote(message_id, safe='')}{tail}"


@outbox_app.command("list")
def list_command(
    status: Annotated[
        Status | None, typer.Option("--status", help="queued, failing, sent, dead, suppressed")
    ] = None,
    account: Annotated[str | None, typer.Option("--account", help="One account's")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Rows to show")] = 50,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """Messages, newest first, with the count of each status."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            params = {"status": status, "account": account, "page_size": limit}
            found = MessageList.model_validate(store.get("/api/v1/outbox/messages", params))
        else:
            page = outbox.list_messages(store, status=status, account_id=account, page_size=limit)
            found = MessageList.of(page, 1, limit)
    if as_json:
        console.print_json(found.model_dump_json())
        return
    counts = ", ".join(f"{n} {s}" for s, n in found.counts.items())
    table = Table(title=f"{found.total:,} messages ({counts})", title_justify="left")
    for column in (
        "message_id",
        "created (UTC)",
        "channel",
        "account",
        "template",
        "status",
        "why",
    ):
        table.add_column(column, no_wrap=column == "message_id")
    for m in found.items:
        why = f"sent {m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else (m.held or "due")
        table.add_row(
            m.message_id, f"{m.created_at:%Y-%m-%d %H:%M}", m.channel, m.account_id, m.template,
            m.status, why,
        )  # fmt: skip
    console.print(table)


@outbox_app.command("show")
def show_command(message_id: MessageId, as_json: Json = False, db: DbOption = None) -> None:
    """One message: its words, its status, every attempt."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = MessageDetail.model_validate(store.get(_path(message_id)))
        else:
            message, attempts = outbox.get_message(store, message_id)
            found = MessageDetail(
                **MessageOut.of(message).model_dump(),
                attempts_made=[AttemptOut.of(a) for a in attempts],
            )
    if as_json:
        console.print_json(found.model_dump_json())
        return
    lines = [
        f"{found.message_id}: {found.channel} to {found.account_id}"
        + (f" / {found.contact_id}" if found.contact_id else ""),
        f"status {found.status}, {found.attempts} attempts; key {found.idempotency_key}",
        f"template {found.template}, from {found.source}, "
        f"created {found.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    if found.held:
        lines.append(f"why: {found.held}")
    if found.last_error:
        lines.append(f"last error: {found.last_error}")
    if found.subject:
        lines.append(f"subject: {found.subject}")
    lines += ["", found.body.rstrip(), ""]
    lines += [
        f"attempt {a.attempt} at {a.started_at:%Y-%m-%d %H:%M:%S}: {a.outcome}"
        + (f" ({a.error})" if a.error else "")
        for a in found.attempts_made
    ]
    console.print("\n".join(lines), highlight=False, markup=False)


@outbox_app.command("retry")
def retry_command(message_id: MessageId, db: DbOption = None) -> None:
    """Queue a dead letter (or a waiting message) again, due now."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            again = MessageOut.model_validate(store.call("POST", _path(message_id, "/retry")))
        else:
            again = MessageOut.of(outbox.retry(store, message_id))
    console.print(f"{again.message_id} queued again, due now", highlight=False)


@outbox_app.command("send-test")
def send_test_command(
    template: Annotated[str, typer.Option("--template", help="A template's name")],
    account: Annotated[str, typer.Option("--account", help="The account whose fields it uses")],
    channel: Annotated[Literal["email", "webhook"], typer.Option("--channel")] = "webhook",
    contact: Annotated[str | None, typer.Option("--contact", help="Emails: the contact")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Queue a test message and deliver it now (through the server when one runs)."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            body = {"channel": channel, "account_id": account, "contact_id": contact,
                    "template": template}  # fmt: skip
            made = MessageOut.model_validate(
                store.call("POST", "/api/v1/outbox/send-test", body=body)
            )
            for _ in range(20):  # the server's step delivers it within seconds
                if made.status != "queued":
                    break
                time.sleep(0.5)
                made = MessageOut.model_validate(store.get(_path(made.message_id)))
        else:
            current = _config(store, chosen.config, write=True)
            message_id = outbox.enqueue(
                store, channel=channel, account_id=account, contact_id=contact,
                template=template, context={"test": True},
                idempotency_key=f"send-test:{uuid.uuid4().hex}", source="test:cli",
                config=current,
            )  # fmt: skip
            outbox.deliver_due(store, current.outbox, OutboxSettings(), limit=None)
            made = MessageOut.of(outbox.get_message(store, message_id)[0])
    console.print(
        f"{made.message_id}: {made.status}"
        + (f" to {made.recipient}" if made.recipient else "")
        + (f" ({made.held})" if made.held and made.status != "sent" else ""),
        highlight=False,
    )


@outbox_app.command("deliver")
def deliver_command(
    until_empty: Annotated[
        bool, typer.Option("--until-empty", help="Keep going until nothing is due")
    ] = True,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Deliver the messages due now (a running server does this itself)."""
    chosen = settings(db, config)

    def instead(server: Server) -> str:
        return "it delivers the outbox itself (step 'outbox' on /status)"

    con = open_for_writing(chosen.db, "outbox deliver", instead, chosen.memory_limit)
    totals = outbox.DeliveryRun()
    try:
        current = _config(con, chosen.config, write=True).outbox
        delivery = OutboxSettings()
        while True:
            run = outbox.deliver_due(con, current, delivery)
            for name in ("sent", "failed", "dead", "held", "suppressed"):
                setattr(totals, name, getattr(totals, name) + getattr(run, name))
            if not (until_empty and run.more):
                break
    finally:
        con.close()
    console.print(
        f"{totals.sent} sent, {totals.failed} to retry, {totals.dead} dead letters, "
        f"{totals.held} held (quiet hours, frequency cap), {totals.suppressed} suppressed",
        highlight=False,
    )


@outbox_app.command("consent")
def consent_command(
    contact: Annotated[str, typer.Argument(help="The contact's id")],
    status: Annotated[Literal["subscribed", "unsubscribed"], typer.Argument()],
    db: DbOption = None,
) -> None:
    """Record a contact's consent, or unsubscribe them."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            path = f"/api/v1/outbox/consent/{urllib.parse.quote(contact, safe='')}"
            store.call("PUT", path, body={"status": status})
        else:
            outbox.set_consent(store, contact, status, "cli")
    console.print(f"{contact}: {status}", highlight=False)


__all__ = ["outbox_app"]
