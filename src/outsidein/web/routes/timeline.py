"""``/api/v1/accounts/{id}/timeline`` and ``/api/v1/accounts/{id}/notes``: an account's one
thread of everything that happened to it, and notes, calls and meetings logged on it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from outsidein.auth.roles import Role
from outsidein.timeline import Note, TimelinePage, account_timeline, add_note
from outsidein.timeline.notes import MAX_BODY, MAX_SUBJECT, NoteKind
from outsidein.web.access import ActorDep, requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import IsoDatetime, PageParam, PageSizeParam, SearchParam
from outsidein.web.schemas.errors import ErrorResponse, refused

router = APIRouter(prefix="/accounts", tags=["timeline"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such account"}
}

KindsParam = Annotated[
    list[str] | None,
    Query(
        max_length=50,
        description="Only these kinds (repeat the parameter, or separate with commas): "
        "touchpoint, case_opened, case_closed, survey, note, call, meeting, health, ...",
    ),
]


class NoteIn(BaseModel):
    """A note, or a call or meeting that happened at ``at`` (default: now)."""

    kind: NoteKind = "note"
    body: str = Field(min_length=1, max_length=MAX_BODY)
    subject: str | None = Field(None, max_length=MAX_SUBJECT)
    at: IsoDatetime | None = None


@router.get(
    "/{account_id}/timeline",
    response_model=TimelinePage,
    summary="One account's timeline, newest first",
    responses={**NOT_FOUND, **refused("a kind no source yields")},
)
def timeline(
    cur: CursorDep,
    account_id: str,
    q: SearchParam = "",
    kinds: KindsParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 25,
) -> TimelinePage:
    """Touchpoints, cases opened and closed, survey answers, notes, calls and meetings,
    health changes and subscriptions, in one thread; ``q`` searches title, detail and who."""
    return account_timeline(cur, account_id, q=q, kinds=kinds, page=page, page_size=page_size)


@router.post(
    "/{account_id}/notes",
    response_model=Note,
    status_code=201,
    dependencies=[requires(Role.CSM)],
    summary="Log a note, call or meeting on an account",
    responses={**NOT_FOUND, **refused("an empty body, a time in the future or before 2000")},
)
def post_note(cur: CursorDep, actor: ActorDep, account_id: str, body: NoteIn) -> Note:
    """The signed-in user is its author; it appears on the account's timeline at once."""
    return add_note(cur, account_id, body=body.body, author=actor, kind=body.kind,
                    subject=body.subject, at=body.at)  # fmt: skip
