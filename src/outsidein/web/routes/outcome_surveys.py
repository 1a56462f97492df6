"""``/api/v1/jobs/outcome-surveys/...``: outcome surveys, their CSV instrument, invitations
(links, and emails through the outbox) and the import of filled CSVs (docs/jobs.md#surveys).

Reading a survey is for everyone signed in; creating one, its template (it lists contacts),
invitations and imports are portfolio-wide work: managers. Mounted before
``/api/v1/jobs/{job_id}`` (long work).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.exceptions import HTTPException

from outsidein.auth.roles import Role
from outsidein.errors import MalformedRequestError
from outsidein.jobs.instrument import import_csv, template_csv
from outsidein.jobs.surveys import Survey, create_survey, get_survey, invite, list_surveys
from outsidein.jobs.surveys import survey_link as link_of
from outsidein.jsontypes import UtcDatetime
from outsidein.outbox.surveys import send_invitations
from outsidein.settings.outbox import OutboxSettings
from outsidein.store import audit
from outsidein.web.access import ActorDep, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.schemas.errors import ErrorResponse, refused

router = APIRouter(prefix="/jobs/outcome-surveys", tags=["jobs to be done"])

SurveyId = Annotated[
    str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such survey"}
}


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_id: SurveyId
    title: str | None = Field(None, max_length=200)
    outcome_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=500, description="The outcomes asked [every outcome of the catalog]"
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="The order's seed [random]")


class SurveyOut(BaseModel):
    survey_id: str
    title: str
    outcome_ids: list[str] = Field(description="In the stated order every respondent sees")
    seed: int
    created_by: str
    created_at: UtcDatetime
    closes_at: UtcDatetime | None
    invited: int
    submitted: int

    @classmethod
    def of(cls, s: Survey) -> SurveyOut:
        return cls(**{k: getattr(s, k) for k in cls.model_fields})


class InviteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str | None = Field(None, min_length=1, max_length=200)
    contact_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, max_length=10_000, description="[every contact with an email address]"
    )
    days: int = Field(30, ge=1, le=366, description="How long the links work")
    reissue: StrictBool = Field(False, description="New links for invited contacts too")
    send: StrictBool = Field(False, description="Email each link through the outbox")


class LinkOut(BaseModel):
    contact_id: str
    account_id: str
    email: str | None
    link: str


class InvitationsOut(BaseModel):
    issued: int
    queued: int = Field(description="Emails queued in the outbox")
    links: list[LinkOut] = Field(description="Shown once: only the tokens' hashes are kept")


class ImportOut(BaseModel):
    answers: int = Field(description="Answers stored (one per contact and outcome)")


_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The filled survey (CSV, UTF-8): the survey's template with ratings.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    },
}


@router.get(
    "",
    response_model=list[SurveyOut],
    dependencies=[requires(Role.VIEWER)],
    summary="The outcome surveys with their invitations and submissions",
)
def surveys(cur: CursorDep) -> list[SurveyOut]:
    return [SurveyOut.of(s) for s in list_surveys(cur)]


@router.post(
    "",
    response_model=SurveyOut,
    status_code=201,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an id taken, an outcome not in the catalog"),
    summary="Create an outcome survey (its outcomes in a seeded random order)",
)
def create(cur: CursorDep, actor: ActorDep, body: SurveyIn) -> SurveyOut:
    made = create_survey(
        cur,
        body.survey_id,
        title=body.title,
        outcome_ids=body.outcome_ids,
        seed=body.seed,
        created_by=actor,
    )
    audit.record(
        cur,
        actor=actor,
        action="survey.create",
        target=made.survey_id,
        detail={"outcomes": len(made.outcome_ids), "seed": made.seed},
    )
    return SurveyOut.of(made)


@router.get(
    "/{survey_id}",
    response_model=SurveyOut,
    dependencies=[requires(Role.VIEWER)],
    responses=_NOT_FOUND,
    summary="One outcome survey",
)
def survey(cur: CursorDep, survey_id: str) -> SurveyOut:
    return SurveyOut.of(get_survey(cur, survey_id))


@router.get(
    "/{survey_id}/template",
    dependencies=[requires(Role.MANAGER)],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The instrument"}, **_NOT_FOUND},
    summary="The survey as a CSV to fill in (a row per invited contact, or blank)",
)
def template(
    cur: CursorDep,
    survey_id: str,
    blank: Annotated[bool, Query(description="The header alone")] = False,
) -> Response:
    text = template_csv(cur, survey_id, blank=blank)
    name = f"survey-{get_survey(cur, survey_id).survey_id}.csv"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=disposition)


@router.post(
    "/{survey_id}/invitations",
    response_model=InvitationsOut,
    dependencies=[requires(Role.MANAGER)],
    responses={**_NOT_FOUND, **refused("an unknown contact, no template for the email")},
    summary="Invite contacts: a link each (and an email through the outbox with `send`)",
)
def invitations(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    actor: ActorDep,
    survey_id: str,
    body: InviteIn,
) -> InvitationsOut:
    """Contacts already invited are left alone unless ``reissue``. The links are in this
    answer only: the store keeps each token's hash."""
    found = get_survey(cur, survey_id)
    settings = OutboxSettings()
    cur.execute("BEGIN TRANSACTION")
    try:
        issued = invite(
            cur,
            found.survey_id,
            account=body.account_id,
            contacts=body.contact_ids,
            days=body.days,
            reissue=body.reissue,
        )
        queued = send_invitations(cur, found, issued, config, settings) if body.send else 0
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    audit.record(
        cur,
        actor=actor,
        action="survey.invite",
        target=found.survey_id,
        detail={"issued": len(issued), "queued": queued},
    )
    if queued:
        pipeline_of(request.app).mark("outbox_messages")
    return InvitationsOut(
        issued=len(issued),
        queued=queued,
        links=[
            LinkOut(
                contact_id=i.contact_id,
                account_id=i.account_id,
                email=i.email,
                link=link_of(settings.public_url, i.token),
            )
            for i in issued
        ],
    )


@router.post(
    "/{survey_id}/responses",
    response_model=ImportOut,
    dependencies=[requires(Role.MANAGER)],
    openapi_extra=_CSV_BODY,
    responses={
        400: {"model": ErrorResponse, "description": "Not UTF-8 text"},
        **_NOT_FOUND,
        **refused(
            "a filled survey with problems: each named (line, field, value, "
            "fix) in details.problems; nothing was imported"
        ),
    },
    summary="Import a filled survey CSV (answers land in survey_responses)",
)
async def responses(request: Request, cur: CursorDep, actor: ActorDep, survey_id: str) -> ImportOut:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequestError("the body is not UTF-8 text: send the CSV as UTF-8") from None
    if "\x00" in text:
        raise MalformedRequestError("the body holds a NUL byte: send the CSV as text")
    stored = import_csv(cur, survey_id, text, name="the body")
    audit.record(
        cur, actor=actor, action="survey.import", target=survey_id, detail={"answers": stored}
    )
    pipeline_of(request.app).mark("survey_responses")
    return ImportOut(answers=stored)


def _no_delete() -> None:
    """405: without it ``DELETE /api/v1/jobs/outcome-surveys`` reaches the long-work job route."""
    raise HTTPException(status_code=405, headers={"Allow": "GET, POST"})


router.add_api_route("", _no_delete, methods=["DELETE"], include_in_schema=False)
__all__ = ["router"]
