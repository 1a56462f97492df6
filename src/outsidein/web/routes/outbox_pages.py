"""``/outbox``: queued, failing, sent, dead and suppressed messages, with retry; and the public
``/unsubscribe/{token}`` a contact reaches from an email (docs/outbox.md#unsubscribe).

The unsubscribe page is a declared exception of the sign-in rule (docs/security.md): its
signed token is its credential, it shows nothing but a masked address, and it changes one
thing, that contact's consent. Opening it asks; the button (or a mail client's one-click
POST, RFC 8058) records it, so a link scanner that follows links does not unsubscribe anyone.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outsidein import outbox
from outsidein.auth.roles import Role
from outsidein.outbox.queue import STATUSES, Status
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import PageParam
from outsidein.web.routes.outbox import message_in_book
from outsidein.web.templating import templates, url_with

router = APIRouter(include_in_schema=False)

LABELS = {
    "queued": "Queued",
    "failing": "Failing",
    "sent": "Sent",
    "dead": "Dead letters",
    "suppressed": "Suppressed",
}
PAGE_SIZE = 25


@router.get("/outbox", response_class=HTMLResponse, name="outbox_page")
def outbox_page(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    status: Status | None = Query(None),
    page: PageParam = 1,
) -> Response:
    found = outbox.list_messages(
        cur, status=status, csm=book.csm(None), page=page, page_size=PAGE_SIZE
    )
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    if page > pages:
        return RedirectResponse(url_with(request, page=pages if pages > 1 else None), 303)
    return templates.TemplateResponse(
        request,
        "outbox.html",
        {
            "found": found,
            "status": status,
            "labels": LABELS,
            "statuses": STATUSES,
            "page": page,
            "pages": pages,
            "prev_url": url_with(request, page=page - 1) if page > 1 else None,
            "next_url": url_with(request, page=page + 1) if page < pages else None,
        },
    )


@router.post("/outbox/messages/{message_id}/retry", dependencies=[requires(Role.CSM)])
def retry_form(request: Request, cur: CursorDep, book: BookDep, message_id: str) -> Response:
    """The dead-letter list's Retry button: queue it again, back to the list."""
    message_in_book(cur, book, message_id)
    outbox.retry(cur, message_id)
    request.app.state.pipeline.mark("outbox_messages", urgent=True)
    return RedirectResponse(f"/outbox?status=queued&retried={message_id}", 303)


def _masked(address: str | None) -> str:
    if not address or "@" not in address:
        return "your address"
    name, _, domain = address.partition("@")
    return f"{name[:1]}{'•' * max(1, len(name) - 1)}@{domain}"


def _unsubscribe(request: Request, cur: CursorDep, token: str, done: bool) -> Response:
    try:
        contact_id = outbox.contact_of_token(cur, token)
    except outbox.OutboxError as exc:
        return templates.TemplateResponse(
            request, "unsubscribe.html", {"problem": exc.message}, status_code=404
        )
    row = cur.execute("SELECT email FROM contacts WHERE contact_id = ?", [contact_id]).fetchone()
    if done:
        outbox.set_consent(cur, contact_id, "unsubscribed", "link")
    return templates.TemplateResponse(
        request,
        "unsubscribe.html",
        {
            "address": _masked(row[0] if row else None),
            "done": done,
            "token": token,
            "problem": None,
        },
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, cur: CursorDep, token: str) -> Response:
    return _unsubscribe(request, cur, token, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, cur: CursorDep, token: str) -> Response:
    return _unsubscribe(request, cur, token, done=True)
