"""``/identity``: review accounts and contacts that look alike; confirm or reject each pair.

A page for whoever keeps the customer list clean: each suggestion (accounts: the same
normalised domain or name; contacts: the same email, or name at one domain or account;
docs/identity.md) with both sides' names and systems, a Confirm (merge) and a Reject
button, and the recent merges with an Undo. The forms post with the session's CSRF
token; each decision is audited, as through the API and ``outsidein accounts link``.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError
from outsidein.identity import (
    contact_suggestions,
    link,
    link_contacts,
    reject,
    reject_contacts,
    suggestions,
    undo_contact_merge,
    undo_merge,
)
from outsidein.web.access import ActorDep, requires
from outsidein.web.deps import CursorDep
from outsidein.web.routes.identity import changed
from outsidein.web.routes.identity_contacts import changed as contacts_changed
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False, dependencies=[requires(Role.MANAGER)])
SHOWN = 100


@router.get("/identity", response_class=HTMLResponse, name="identity_page")
def identity_page(request: Request, cur: CursorDep, done: str = "") -> Response:
    merges = cur.execute(
        "SELECT m.account_id, a.name, m.merged_id, m.merged_row->>'name', m.merged_by, "
        "m.merged_at FROM identity_merges m LEFT JOIN accounts a USING (account_id) "
        "WHERE m.undone_at IS NULL ORDER BY m.merged_at DESC LIMIT 20"
    ).fetchall()
    contact_merges = cur.execute(
        "SELECT m.contact_id, coalesce(c.name, c.email), m.merged_id, "
        "coalesce(m.merged_row->>'name', m.merged_row->>'email'), m.merged_by, m.merged_at "
        "FROM contact_merges m LEFT JOIN contacts c USING (contact_id) "
        "WHERE m.undone_at IS NULL ORDER BY m.merged_at DESC LIMIT 20"
    ).fetchall()
    context: dict[str, Any] = {
        "found": suggestions(cur, SHOWN),
        "merges": merges,
        "people": contact_suggestions(cur, SHOWN),
        "contact_merges": contact_merges,
        "done": done[:300],
        "shown": SHOWN,
    }
    return templates.TemplateResponse(request, "identity.html", context)


async def _pair(request: Request, first: str = "account_id") -> tuple[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    kept = (fields.get(first) or [""])[0]
    other_id = (fields.get("other_id") or [""])[0]
    if not kept or not other_id:
        raise InvalidRequestError(f"name both ({first} and other_id)")
    return kept, other_id


def _back(message: str) -> Response:
    return RedirectResponse("/identity?" + urlencode({"done": message}), status_code=303)


@router.post("/identity/confirm")
async def confirm(request: Request, actor: ActorDep) -> Response:
    account_id, other_id = await _pair(request)
    app: FastAPI = request.app

    def run() -> None:
        cur = app.state.store.cursor()
        try:
            link(cur, account_id, other_id, actor, method="review")
        finally:
            cur.close()

    await asyncio.to_thread(run)
    changed(app)
    return _back(f"Merged {other_id} into {account_id}.")


@router.post("/identity/reject")
async def reject_pair(request: Request, cur: CursorDep, actor: ActorDep) -> Response:
    account_id, other_id = await _pair(request)
    reject(cur, account_id, other_id, actor, method="review")
    return _back(f"{account_id} and {other_id} are different customers.")


@router.post("/identity/undo")
async def undo(request: Request, actor: ActorDep) -> Response:
    _, merged_id = await _pair(request)
    app: FastAPI = request.app

    def run() -> None:
        cur = app.state.store.cursor()
        try:
            undo_merge(cur, merged_id, actor)
        finally:
            cur.close()

    await asyncio.to_thread(run)
    changed(app)
    return _back(f"{merged_id} is an account of its own again.")


@router.post("/identity/contacts/confirm")
async def confirm_contacts(request: Request, actor: ActorDep) -> Response:
    contact_id, other_id = await _pair(request, "contact_id")
    app: FastAPI = request.app

    def run() -> None:
        cur = app.state.store.cursor()
        try:
            link_contacts(cur, contact_id, other_id, actor, method="review")
        finally:
            cur.close()

    await asyncio.to_thread(run)
    contacts_changed(app)
    return _back(f"Merged contact {other_id} into {contact_id}.")


@router.post("/identity/contacts/reject")
async def reject_contact_pair(request: Request, cur: CursorDep, actor: ActorDep) -> Response:
    contact_id, other_id = await _pair(request, "contact_id")
    reject_contacts(cur, contact_id, other_id, actor, method="review")
    return _back(f"Contacts {contact_id} and {other_id} are different people.")


@router.post("/identity/contacts/undo")
async def undo_contacts(request: Request, actor: ActorDep) -> Response:
    _, merged_id = await _pair(request, "contact_id")
    app: FastAPI = request.app

    def run() -> None:
        cur = app.state.store.cursor()
        try:
            undo_contact_merge(cur, merged_id, actor)
        finally:
            cur.close()

    await asyncio.to_thread(run)
    contacts_changed(app)
    return _back(f"Contact {merged_id} is a contact of its own again.")
