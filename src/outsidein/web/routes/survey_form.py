"""``/s/{token}``: the outcome survey a contact answers from their own link
(docs/jobs.md#surveys).

The one page of the app a visitor reaches without signing in (docs/security.md): the
link's token is the credential, looked up by its hash, and it opens one contact's answers
to one survey and nothing else. Each rating is saved when it is given (``POST
/s/{token}/answer``, from ``survey.js``); the form's button saves them all and marks the
survey submitted; answering again updates the same rows. An unknown, expired or closed link
gets one plain 404 page. Bodies are capped (:data:`MAX_FORM`) besides the server's limit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from outsidein.errors import OutsideInError
from outsidein.jobs.surveys import (
    MAX_TOKEN,
    Invitation,
    SurveyError,
    SurveyLinkError,
    find_invitation,
    saved_answers,
    submit,
)
from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)

MAX_FORM = 64 * 1024  # a survey of 500 outcomes fills ~20 KB
RATINGS = (1, 2, 3, 4, 5)
NO_STORE = {"Cache-Control": "no-store"}


def _statements(cur: Any, ids: list[str]) -> dict[str, str]:
    rows = cur.execute(
        "SELECT outcome_id, statement FROM outcomes WHERE list_contains(?, outcome_id)", [ids]
    ).fetchall()
    return dict(rows)


def _page(
    request: Request,
    cur: Any,
    token: str,
    invitation: Invitation | None,
    *,
    problem: str | None = None,
    done: bool = False,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "problem": problem,
        "done": done,
        "token": token,
        "ratings": RATINGS,
        "survey": None,
    }
    if invitation is not None:
        ids = invitation.survey.outcome_ids
        said = _statements(cur, ids)
        context |= {
            "survey": invitation.survey,
            "items": [(oid, said.get(oid, oid)) for oid in ids],
            "answers": saved_answers(cur, invitation),
            "submitted": invitation.submitted_at is not None,
        }
    return templates.TemplateResponse(
        request, "survey_form.html", context, status_code=status, headers=NO_STORE
    )


def _gone(request: Request, cur: Any, exc: OutsideInError) -> Response:
    return _page(request, cur, "", None, problem=exc.message, status=404)


async def _form(request: Request) -> dict[str, str] | None:
    body = await request.body()
    if len(body) > MAX_FORM:
        return None
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=2000)
    return {k: v[0].strip() for k, v in fields.items() if v}


@router.get("/s/{token}", response_class=HTMLResponse)
def survey_page(request: Request, cur: CursorDep, token: str) -> Response:
    try:
        invitation = find_invitation(cur, token[: MAX_TOKEN + 1])
    except SurveyLinkError as exc:
        return _gone(request, cur, exc)
    return _page(request, cur, token, invitation)


@router.post("/s/{token}", response_class=HTMLResponse)
async def survey_submit(request: Request, cur: CursorDep, token: str) -> Response:
    """The whole form: every rating given is saved and the survey marked submitted."""
    try:
        invitation = find_invitation(cur, token)
    except SurveyLinkError as exc:
        return _gone(request, cur, exc)
    form = await _form(request)
    if form is None:
        return _page(request, cur, token, invitation, problem="the form is too large", status=413)
    answers: dict[str, dict[str, object]] = {}
    for name, value in form.items():
        field, _, outcome = name.partition(":")
        if field in ("importance", "satisfaction") and outcome:
            answers.setdefault(outcome, {})[field] = value
    try:
        submit(cur, invitation, answers, final=True)
    except SurveyError as exc:
        return _page(request, cur, token, invitation, problem=exc.message, status=422)
    pipeline_of(request.app).mark("survey_responses")
    return _page(request, cur, token, find_invitation(cur, token), done=True)


@router.post("/s/{token}/answer")
async def survey_answer(request: Request, cur: CursorDep, token: str) -> Response:
    """One rating, saved as it is given: ``outcome``, ``field`` (importance or
    satisfaction) and ``value`` (1-5), form-encoded."""
    invitation = find_invitation(cur, token)  # 404 (JSON) when the link is not valid
    form = await _form(request)
    if form is None:
        return JSONResponse(
            {"error": {"code": "payload_too_large", "message": "the answer is too large"}}, 413
        )
    field = form.get("field", "")
    if field not in ("importance", "satisfaction"):
        raise SurveyError(f"field {field!r}: give importance or satisfaction")
    outcome = form.get("outcome", "")
    submit(cur, invitation, {outcome: {field: form.get("value", "")}}, final=False)
    pipeline_of(request.app).mark("survey_responses")
    return JSONResponse({"saved": True, "outcome": outcome, "field": field}, headers=NO_STORE)


__all__ = ["MAX_FORM", "router"]
