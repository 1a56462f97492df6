"""``POST /accounts/{id}/notes``: the account page's form that logs a note, call or meeting.

The guard has checked the session's CSRF token (a form field) and Origin; the author is the
signed-in user. Back to the account's timeline, where the note is now the newest item.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError, MalformedRequestError
from outsidein.timeline import add_note
from outsidein.web.access import ActorDep, requires
from outsidein.web.deps import CursorDep

router = APIRouter(include_in_schema=False)
MAX_FORM = 64 * 1024


@router.post("/accounts/{account_id}/notes", dependencies=[requires(Role.CSM)])
async def log_note(request: Request, cur: CursorDep, actor: ActorDep, account_id: str) -> Response:
    raw = await request.body()
    if len(raw) > MAX_FORM:
        raise InvalidRequestError(f"the form is over {MAX_FORM:,} bytes", field="body")
    if not raw.strip():
        raise MalformedRequestError("the request has no body: send the form's fields")
    fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    at = None
    if fields.get("at", "").strip():
        try:
            at = datetime.fromisoformat(fields["at"].strip())
        except ValueError:
            raise InvalidRequestError(
                f"at: {fields['at']!r} is not a time (YYYY-MM-DDTHH:MM)", field="at"
            ) from None
    add_note(cur, account_id, body=fields.get("body", ""), author=actor,
             kind=fields.get("kind", "note"), subject=fields.get("subject"), at=at)  # fmt: skip
    return RedirectResponse(f"/accounts/{quote(account_id, safe='')}#timeline", 303)
