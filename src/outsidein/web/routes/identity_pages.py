"""``/identity``: review accounts that look alike, and confirm or reject each pair.

A page for whoever keeps the customer list clean: each suggestion (same normalised domain
or name, docs/identity.md) with both accounts' names and systems, a Confirm (merge) and a
Reject button, and the recent merges with an Undo. The forms post with the session's CSRF
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
from outsidein.identity import link, reject, suggestions, undo_merge
from outsidein.web.access import ActorDep, requires
from outsidein.web.deps import CursorDep
from outsidein.web.routes.identity import changed
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
    context: dict[str, Any] = {
        "found": suggestions(cur, SHOWN),
        "merges": merges,
        "done": done[:300],
        "shown": SHOWN,
    }
    return templates.TemplateResponse(request, "identity.html", context)


async def _pair(request: Request) -> tuple[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    account_id = (fields.get("account_id") or [""])[0]
    other_id = (fields.get("other_id") or [""])[0]
    if not account_id or not other_id:
        raise InvalidRequestError("name both accounts (account_id and other_id)")
    return account_id, other_id


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
