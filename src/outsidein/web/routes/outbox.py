"""``/api/v1/outbox``: messages (list, one, enqueue, retry, a test send) and contact consent.

Delivery is the section's pipeline step (:class:`outsidein.outbox.step.OutboxStep`): a write
here marks ``outbox_messages`` so the step runs at once. Everyone signed in reads (a CSM: the
messages of their book); a CSM or above enqueues, retries and records consent.
"""

from __future__ import annotations

import uuid
from typing import Any

import duckdb
from fastapi import APIRouter, FastAPI, Query, Request

from outsidein import outbox
from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.outbox.consent import consent_of
from outsidein.outbox.queue import STATUSES, Status
from outsidein.outbox.step import OutboxStep
from outsidein.pipeline import Step
from outsidein.web.access import Book, BookDep, PrincipalDep, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import CsmParam, PageParam, PageSizeParam
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.outbox import (
    AttemptOut,
    ConsentIn,
    ConsentOut,
    EnqueueIn,
    MessageDetail,
    MessageList,
    MessageOut,
    SendTestIn,
)


def _steps(app: FastAPI) -> list[Step]:
    """Delivers the outbox while the server runs (docs/outbox.md#delivery)."""
    step = OutboxStep(lambda: app.state.config.current.config)
    app.state.outbox_step = step
    return [step.step()]


router = APIRouter(prefix="/outbox", tags=["outbox"], lifespan=with_steps(_steps))

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such message (or not in your book)"}
}


def in_book(cur: duckdb.DuckDBPyConnection, book: Book, account_id: str) -> bool:
    """Whether the caller's book holds the account (everyone's does, but a CSM's)."""
    if book.csm_id is None:
        return True
    row = cur.execute("SELECT csm_id FROM accounts WHERE account_id = ?", [account_id]).fetchone()
    return row is not None and (row[0] or "").lower() == book.csm_id.lower()


def message_in_book(
    cur: duckdb.DuckDBPyConnection, book: Book, message_id: str
) -> tuple[outbox.Message, list[outbox.Attempt]]:
    """The message and its attempts; 404 as for a missing one when outside the book."""
    message, attempts = outbox.get_message(cur, message_id)
    if not in_book(cur, book, message.account_id):
        raise outbox.MessageNotFoundError(f"no outbox message {message_id!r}")
    return message, attempts


def _mark(request: Request) -> None:
    pipeline_of(request.app).mark("outbox_messages", urgent=True)


@router.get("/messages", response_model=MessageList, summary="Outbox messages, newest first")
def messages(
    cur: CursorDep,
    book: BookDep,
    status: Status | None = Query(None, description=f"One of {', '.join(STATUSES)}"),
    account: str | None = Query(None, max_length=200, description="One account's messages"),
    csm: CsmParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> MessageList:
    """``failing``: queued messages that failed at least once (waiting for their retry);
    ``dead``: the dead letters. ``counts`` has every status over the same scope."""
    found = outbox.list_messages(
        cur, status=status, account_id=account, csm=book.csm(csm), page=page,
        page_size=page_size,
    )  # fmt: skip
    return MessageList.of(found, page, page_size)


@router.get(
    "/messages/{message_id}",
    response_model=MessageDetail,
    responses=NOT_FOUND,
    summary="One message and every attempt",
)
def message(cur: CursorDep, book: BookDep, message_id: str) -> MessageDetail:
    found, attempts = message_in_book(cur, book, message_id)
    return MessageDetail(
        **MessageOut.of(found).model_dump(), attempts_made=[AttemptOut.of(a) for a in attempts]
    )


@router.post(
    "/messages",
    response_model=MessageOut,
    status_code=201,
    dependencies=[requires(Role.CSM)],
    responses={
        404: {"model": ErrorResponse, "description": "No such account or contact"},
        **refused("an unknown template or field, an email without a contact"),
    },
    summary="Queue a message (idempotent on its key)",
)
def add_message(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    config: ConfigDep,
    principal: PrincipalDep,
    body: EnqueueIn,
) -> MessageOut:
    """Rendered now with the account's fields; the same ``idempotency_key`` returns the
    message first queued under it."""
    if not in_book(cur, book, body.account_id):
        raise NotFoundError(f"no account {body.account_id!r}", account_id=body.account_id)
    made = outbox.enqueue(
        cur, channel=body.channel, account_id=body.account_id, contact_id=body.contact_id,
        template=body.template, context=body.context, idempotency_key=body.idempotency_key,
        source=f"api:{principal.username}", config=config,
    )  # fmt: skip
    _mark(request)
    return MessageOut.of(outbox.get_message(cur, made)[0])


@router.post(
    "/messages/{message_id}/retry",
    response_model=MessageOut,
    dependencies=[requires(Role.CSM)],
    responses={**NOT_FOUND, **refused("the message was already sent")},
    summary="Queue a dead letter (or a waiting message) again, due now",
)
def retry(request: Request, cur: CursorDep, book: BookDep, message_id: str) -> MessageOut:
    message_in_book(cur, book, message_id)
    again = outbox.retry(cur, message_id)
    _mark(request)
    return MessageOut.of(again)


@router.post(
    "/send-test",
    response_model=MessageOut,
    status_code=201,
    dependencies=[requires(Role.MANAGER)],
    responses={
        404: {"model": ErrorResponse, "description": "No such account or contact"},
        **refused("an unknown template or field, an email without a contact"),
    },
    summary="Queue a test message (a new key each time), delivered at once",
)
def send_test(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep, body: SendTestIn
) -> MessageOut:
    made = outbox.enqueue(
        cur, channel=body.channel, account_id=body.account_id, contact_id=body.contact_id,
        template=body.template, context={"test": True},
        idempotency_key=f"send-test:{uuid.uuid4().hex}", source=f"test:{principal.username}",
        config=config,
    )  # fmt: skip
    _mark(request)
    return MessageOut.of(outbox.get_message(cur, made)[0])


@router.put(
    "/consent/{contact_id}",
    response_model=ConsentOut,
    dependencies=[requires(Role.CSM)],
    responses={404: {"model": ErrorResponse, "description": "No such contact in your book"}},
    summary="Record a contact's consent (subscribed) or unsubscribe them",
)
def put_consent(
    cur: CursorDep, book: BookDep, principal: PrincipalDep, contact_id: str, body: ConsentIn
) -> ConsentOut:
    row = cur.execute(
        "SELECT account_id FROM contacts WHERE contact_id = ?", [contact_id]
    ).fetchone()
    if row is None or not in_book(cur, book, str(row[0])):
        raise NotFoundError(f"no contact {contact_id!r}", contact_id=contact_id)
    outbox.set_consent(cur, contact_id, body.status, f"api:{principal.username}")
    found = consent_of(cur, contact_id)
    assert found is not None
    return ConsentOut(contact_id=contact_id, status=found[0], via=found[1], changed_at=found[2])
