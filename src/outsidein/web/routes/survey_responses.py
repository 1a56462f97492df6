"""``POST /api/v1/survey-responses``: NPS, CSAT and CES answers, one or a batch.

The answers take the file loader's path (:mod:`outsidein.ingest.answers`): the same rules, the
same rows as a file of them. One load at a time (the loads section's lock), in a worker
thread; then the pipeline hears that ``survey_responses`` changed, so what reads it (health,
and playbooks when they land) catches up within its step's interval.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.ingest.answers import MAX_ANSWERS, load_answers
from outsidein.ingest.result import LoadResult
from outsidein.web.access import actor_name, current_principal, requires
from outsidein.web.background import pipeline_of
from outsidein.web.routes.loads import UPLOAD_PREFIX
from outsidein.web.schemas.errors import ErrorResponse, refused

router = APIRouter(tags=["surveys"])


class SurveyResponseIn(BaseModel):
    """One answer. Values are checked as a file's are (docs/loading.md): an NPS score 0-10,
    CSAT 1-5, CES 1-7; ``answered_at`` ISO 8601, not in the future; a known account."""

    model_config = ConfigDict(extra="allow")  # unknown fields are named in the 422

    response_id: str = Field(min_length=1, max_length=200)
    account_id: str = Field(min_length=1, max_length=200)
    contact_id: str | None = Field(None, max_length=200)
    survey: str = Field(min_length=1, max_length=200)
    answered_at: str | datetime = Field(description="ISO 8601, e.g. 2026-11-30T09:30:00Z")
    kind: str = Field(description="nps, csat or ces")
    score: float | None = None
    comment: str | None = Field(None, max_length=10_000)


class SurveyResponsesOut(BaseModel):
    """What the answers did: stored new, replaced an earlier answer, or were known already."""

    accepted: int
    inserted: int
    updated: int
    unchanged: int
    already_loaded: bool = Field(description="The same answers were posted before: no change")
    response_ids: list[str]
    load_id: str


def _store(app: FastAPI, answers: list[dict[str, Any]], actor: str) -> LoadResult:
    config = app.state.config.current.config
    lock: threading.Lock = getattr(app.state, "loading", None) or threading.Lock()
    with lock:
        cur = app.state.store.cursor()
        try:
            return load_answers(
                cur, answers, name=f"api:survey-responses by {actor}", config=config.store,
                precedence=config.ingest.precedence, folder=Path(app.state.db_path).parent,
                prefix=UPLOAD_PREFIX,
            )  # fmt: skip
        finally:
            cur.close()


def _in_book(app: FastAPI, book: str, ids: set[str]) -> None:
    """A CSM posts answers for their own accounts only (another book's is "no such")."""
    cur = app.state.store.cursor()
    try:
        rows = cur.execute(
            "SELECT account_id, csm_id FROM accounts WHERE list_contains($ids, account_id)",
            {"ids": sorted(ids)},
        ).fetchall()
    finally:
        cur.close()
    for account, csm in rows:
        if (csm or "").lower() != book.lower():
            raise NotFoundError(f"no account with account_id {account!r}", account_id=account)


@router.post(
    "/survey-responses",
    response_model=SurveyResponsesOut,
    dependencies=[requires(Role.CSM)],
    summary="Post NPS, CSAT and CES answers (one, or a list of up to 1,000)",
    responses={
        404: {"model": ErrorResponse, "description": "An account outside a CSM's book"},
        **refused("a score out of its range, an unknown account, a future time, ..."),
    },
)
async def post_survey_responses(
    request: Request, body: SurveyResponseIn | list[SurveyResponseIn]
) -> SurveyResponsesOut:
    """Idempotent: the same answers posted again change nothing; an answer with a stored
    ``response_id`` replaces it. One bad answer refuses the request (nothing is stored) and
    the 422 names every problem by the answer's position (``details.problems``)."""
    items = body if isinstance(body, list) else [body]
    answers = [i.model_dump(mode="json", exclude_unset=True) for i in items]
    principal = current_principal(request)
    if principal.book is not None:
        _in_book(request.app, principal.book, {a["account_id"] for a in answers})
    result = await asyncio.to_thread(_store, request.app, answers, actor_name(principal))
    if not result.already_loaded:
        pipeline_of(request.app).mark("survey_responses")
    done = asdict(result)
    return SurveyResponsesOut(
        accepted=len(answers), inserted=done["rows_inserted"], updated=done["rows_updated"],
        unchanged=done["rows_unchanged"], already_loaded=result.already_loaded,
        response_ids=[a["response_id"] for a in answers], load_id=result.load_id,
    )  # fmt: skip


__all__ = ["MAX_ANSWERS", "router"]
