"""The outbox table: enqueue a message (idempotent on its key), list, show and retry them.

:func:`enqueue` is what the playbook engine calls: it renders the template now (so an unknown
field fails the caller, and every retry sends the same words), and stores one row per
idempotency key: enqueuing the same key again returns the first message's id and adds
nothing. Delivery (:mod:`outsidein.outbox.deliver`) takes it from there.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.errors import NotFoundError
from outsidein.outbox.consent import unsubscribe_url
from outsidein.outbox.errors import MessageNotFoundError, OutboxError, TemplateError
from outsidein.outbox.render import fields_for, render
from outsidein.settings.outbox import OutboxSettings

__all__ = [
    "CHANNELS",
    "STATUSES",
    "Attempt",
    "Channel",
    "Message",
    "MessagePage",
    "Status",
    "enqueue",
    "get_message",
    "list_messages",
    "retry",
]

Channel = Literal["email", "webhook"]
Status = Literal["queued", "failing", "sent", "dead", "suppressed"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook")
#: ``failing`` is a queued message that failed at least once (it waits for its retry).
STATUSES: tuple[Status, ...] = ("queued", "failing", "sent", "dead", "suppressed")
MAX_KEY = 200
_COLUMNS = (
    "message_id, idempotency_key, channel, account_id, contact_id, template, context, source, "
    "subject, body, status, attempts, next_attempt_at, held, last_error, recipient, created_at, "
    "sent_at, updated_at"
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Message:
    """One outbox row (``context``: the caller's fields, as given)."""

    message_id: str
    idempotency_key: str
    channel: str
    account_id: str
    contact_id: str | None
    template: str
    context: dict[str, Any]
    source: str
    subject: str | None
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    held: str | None
    last_error: str | None
    recipient: str | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> Message:
        values = list(row)
        values[6] = json.loads(values[6])
        return cls(*values)

    @property
    def state(self) -> Status:
        """The status a person reads: a queued message that failed is ``failing``."""
        if self.status == "queued" and self.attempts > 0:
            return "failing"
        return self.status  # type: ignore[return-value]


@dataclass(frozen=True)
class Attempt:
    attempt: int
    started_at: datetime
    outcome: str
    error: str | None
    seconds: float


@dataclass(frozen=True)
class MessagePage:
    total: int
    counts: dict[str, int]  # by state, over the same scope (book, account), before paging
    items: list[Message]


def enqueue(
    con: duckdb.DuckDBPyConnection,
    *,
    channel: Channel,
    account_id: str,
    contact_id: str | None,
    template: str,
    context: dict[str, Any],
    idempotency_key: str,
    source: str,
    config: OutsideInConfig | None = None,
    settings: OutboxSettings | None = None,
    now: datetime | None = None,
) -> str:
    """Queue one message and return its id; the same ``idempotency_key`` again returns the
    first message's id and queues nothing. ``config`` defaults to the store's current version
    (templates, analytics); ``settings`` to the environment (the unsubscribe links' address).
    """
    if channel not in CHANNELS:
        raise OutboxError(f"channel {channel!r}: use one of {', '.join(CHANNELS)}")
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY:
        raise OutboxError(f"idempotency_key: give 1 to {MAX_KEY} characters, not {len(key)}")
    found = con.execute(
        "SELECT message_id FROM outbox_messages WHERE idempotency_key = ?", [key]
    ).fetchall()
    if found:
        return str(found[0][0])
    config = config or _current_config(con)
    named = config.outbox.templates.get(template)
    if named is None:
        known = ", ".join(sorted(config.outbox.templates)) or "none"
        raise TemplateError(f"no template named {template!r} (there are: {known})")
    if channel == "email" and contact_id is None:
        raise OutboxError("an email goes to a contact: give contact_id")
    fields = fields_for(con, account_id, contact_id, config.analytics)
    if not fields:
        raise NotFoundError(f"no account {account_id!r}", account_id=account_id)
    if contact_id is not None:
        _check_contact(con, contact_id, account_id)
        public = (settings or OutboxSettings()).public_url
        fields["unsubscribe_url"] = unsubscribe_url(con, contact_id, public)
    else:
        fields["unsubscribe_url"] = None
    fields.update(context)
    words = render(template, named, fields)
    if channel == "email" and not words.subject:
        raise TemplateError(f"template {template!r} has no subject: an email needs one")
    at = now or _now()
    message_id = f"msg_{uuid.uuid4().hex[:20]}"
    con.execute(
        f"INSERT INTO outbox_messages ({_COLUMNS}) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, NULL, NULL, NULL, ?, NULL, ?) "
        "ON CONFLICT (idempotency_key) DO NOTHING",
        [
            message_id, key, channel, account_id, contact_id, template,
            json.dumps(context, default=str, sort_keys=True), source, words.subject, words.body,
            at, at, at,
        ],
    )  # fmt: skip
    stored = con.execute(
        "SELECT message_id FROM outbox_messages WHERE idempotency_key = ?", [key]
    ).fetchall()
    return str(stored[0][0])


def _check_contact(con: duckdb.DuckDBPyConnection, contact_id: str, account_id: str) -> None:
    rows = con.execute(
        "SELECT account_id FROM contacts WHERE contact_id = ?", [contact_id]
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no contact {contact_id!r}", contact_id=contact_id)
    if rows[0][0] != account_id:
        raise OutboxError(
            f"contact {contact_id!r} belongs to account {rows[0][0]!r}, not {account_id!r}"
        )


def _current_config(con: duckdb.DuckDBPyConnection) -> OutsideInConfig:
    from outsidein.store.config_versions import current_config

    found = current_config(con)
    return found.config if found is not None else OutsideInConfig()


def _scope(status: Status | None, account_id: str | None, csm: str | None) -> tuple[str, list[Any]]:
    where, params = ["TRUE"], []
    if account_id is not None:
        where.append("m.account_id = ?")
        params.append(account_id)
    if csm is not None:
        where.append("m.account_id IN (SELECT account_id FROM accounts WHERE csm_id = ?)")
        params.append(csm)
    if status == "failing":
        where.append("m.status = 'queued' AND m.attempts > 0")
    elif status == "queued":
        where.append("m.status = 'queued' AND m.attempts = 0")
    elif status is not None:
        where.append("m.status = ?")
        params.append(status)
    return " AND ".join(where), params


def list_messages(
    con: duckdb.DuckDBPyConnection,
    *,
    status: Status | None = None,
    account_id: str | None = None,
    csm: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> MessagePage:
    """Messages newest first; ``csm`` narrows to a CSM's book; counts by state beside."""
    where, params = _scope(status, account_id, csm)
    total = con.execute(f"SELECT count(*) FROM outbox_messages m WHERE {where}", params).fetchall()[
        0
    ][0]
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM outbox_messages m WHERE {where} "
        "ORDER BY m.created_at DESC, m.message_id LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    ).fetchall()
    all_where, all_params = _scope(None, account_id, csm)
    counted = con.execute(
        "SELECT CASE WHEN status = 'queued' AND attempts > 0 THEN 'failing' ELSE status END, "
        f"count(*) FROM outbox_messages m WHERE {all_where} GROUP BY 1",
        all_params,
    ).fetchall()
    counts = dict.fromkeys(STATUSES, 0) | {str(s): int(n) for s, n in counted}
    return MessagePage(int(total), counts, [Message.of(r) for r in rows])


def get_message(con: duckdb.DuckDBPyConnection, message_id: str) -> tuple[Message, list[Attempt]]:
    """One message and its attempts, oldest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM outbox_messages WHERE message_id = ?", [message_id]
    ).fetchall()
    if not rows:
        raise MessageNotFoundError(f"no outbox message {message_id!r}", message_id=message_id)
    attempts = con.execute(
        "SELECT attempt, started_at, outcome, error, seconds FROM outbox_attempts "
        "WHERE message_id = ? ORDER BY attempt",
        [message_id],
    ).fetchall()
    return Message.of(rows[0]), [Attempt(*a) for a in attempts]


def retry(con: duckdb.DuckDBPyConnection, message_id: str, now: datetime | None = None) -> Message:
    """Queue a dead (or suppressed, or waiting) message again, due now, with a fresh retry
    budget; a sent message is refused (it was acknowledged: sending again is a new message)."""
    message, _ = get_message(con, message_id)
    if message.status == "sent":
        raise OutboxError(
            f"message {message_id!r} was sent at {message.sent_at:%Y-%m-%d %H:%M} UTC and "
            "acknowledged; enqueue a new message to send it again"
        )
    at = now or _now()
    con.execute(
        "UPDATE outbox_messages SET status = 'queued', attempts = 0, next_attempt_at = ?, "
        "held = NULL, updated_at = ? WHERE message_id = ?",
        [at, at, message_id],
    )
    return get_message(con, message_id)[0]
