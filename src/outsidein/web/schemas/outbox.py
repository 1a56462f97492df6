"""The outbox as the API (and the CLI) returns it (docs/outbox.md#api)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from outsidein.outbox import Attempt, Message, MessagePage
from outsidein.web.schemas.types import UtcDatetime as Utc

State = Literal["queued", "failing", "sent", "dead", "suppressed"]
Key = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class MessageOut(BaseModel):
    message_id: str
    idempotency_key: str = Field(description="Sent as the Idempotency-Key header")
    channel: Literal["email", "webhook"]
    account_id: str
    contact_id: str | None
    template: str
    source: str = Field(description="Who asked: playbook:NAME, api:USER, cli, demo")
    subject: str | None
    body: str
    status: State = Field(description="failing: queued, and failed at least once")
    attempts: int = Field(description="Tries since it was (re)queued")
    next_attempt_at: Utc
    held: str | None = Field(description="Why it waits or stopped, in words")
    last_error: str | None
    recipient: str | None
    created_at: Utc
    sent_at: Utc | None = Field(description="When the receiver acknowledged it")
    context: dict[str, Any]

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            message_id=m.message_id, idempotency_key=m.idempotency_key,
            channel=m.channel,
            account_id=m.account_id, contact_id=m.contact_id, template=m.template,
            source=m.source, subject=m.subject, body=m.body, status=m.state,
            attempts=m.attempts, next_attempt_at=m.next_attempt_at, held=m.held,
            last_error=m.last_error, recipient=m.recipient, created_at=m.created_at,
            sent_at=m.sent_at, context=m.context,
        )  # fmt: skip


class AttemptOut(BaseModel):
    attempt: int
    started_at: Utc
    outcome: Literal["sent", "failed", "refused"]
    error: str | None
    seconds: float

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        return cls(
            attempt=a.attempt, started_at=a.started_at,
            outcome=a.outcome,
            error=a.error, seconds=a.seconds,
        )  # fmt: skip


class MessageDetail(MessageOut):
    attempts_made: list[AttemptOut] = Field(description="Every try, oldest first")


class MessageList(BaseModel):
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = Field(description="Messages by status in the same scope")
    items: list[MessageOut]

    @classmethod
    def of(cls, found: MessagePage, page: int, page_size: int) -> MessageList:
        items = [MessageOut.of(m) for m in found.items]
        return cls(
            total=found.total, page=page, page_size=page_size, counts=found.counts, items=items
        )


class EnqueueIn(BaseModel):
    """A message to queue; the same ``idempotency_key`` again returns the first message."""

    channel: Literal["email", "webhook"]
    account_id: Name
    contact_id: Name | None = None
    template: Name
    context: dict[str, Any] = Field(default_factory=dict, description="Fields beside the account's")
    idempotency_key: Key


class SendTestIn(BaseModel):
    """A test message, delivered at the pipeline's next run (not idempotent: a new key)."""

    channel: Literal["email", "webhook"]
    account_id: Name
    contact_id: Name | None = None
    template: Name


class ConsentIn(BaseModel):
    status: Literal["subscribed", "unsubscribed"]


class ConsentOut(BaseModel):
    contact_id: str
    status: Literal["subscribed", "unsubscribed"]
    via: str
    changed_at: Utc
