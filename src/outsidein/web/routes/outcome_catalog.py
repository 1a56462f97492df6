"""Editing the jobs catalog: ``PUT``/``DELETE /api/v1/jobs/catalog/{jobs,steps,outcomes}/{id}``
and the page ``/outcomes/catalog`` with its forms (docs/jobs.md#catalog).

The catalog is shared by every survey and score: changing it is a manager's work, as other
portfolio-wide settings are (docs/security.md). A saved statement answers with the linter's
verdicts; it is stored all the same (warnings, not refusals). Every change is audited.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from outsidein.auth.roles import Role
from outsidein.errors import OutsideInError
from outsidein.jobs.catalog import read_catalog
from outsidein.jobs.editing import (
    delete_job,
    delete_outcome,
    delete_step,
    save_job,
    save_outcome,
    save_step,
)
from outsidein.jobs.statements import lint
from outsidein.jobs.surveys import list_surveys
from outsidein.store import audit
from outsidein.web.access import ActorDep, PrincipalDep, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.templating import templates

router = APIRouter(prefix="/jobs/catalog", tags=["jobs to be done"])
pages = APIRouter(include_in_schema=False)

Text = Annotated[str, Field(min_length=1, max_length=500)]
Id = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$",
        description="Letters, digits, '_', '.', ':' and '-'",
    ),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such entry"}
}


class JobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    description: str | None = Field(None, max_length=2000)
    parent: str | None = Field(None, min_length=1, max_length=100, description="Its main job")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(min_length=1, max_length=100)
    name: Text
    position: int = Field(1, ge=1, le=1000)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(min_length=1, max_length=100)
    step_id: str | None = Field(None, min_length=1, max_length=100)
    statement: Text


class WarningOut(BaseModel):
    rule: str
    reason: str


class OutcomeOut(BaseModel):
    id: str
    statement: str
    parts: dict[str, str | None] = Field(
        description="direction, metric, object_of_control, clarifier"
    )
    warnings: list[WarningOut] = Field(description="The linter's verdicts (empty: none)")


class SavedOut(BaseModel):
    id: str


def _changed(request: Request, cur: Any, actor: str, action: str, target: str) -> None:
    audit.record(cur, actor=actor, action=f"catalog.{action}", target=target)


@router.put(
    "/jobs/{job_id}",
    response_model=SavedOut,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an unknown main job, a loop of main jobs"),
    summary="Add or replace a job (a related job names its main job)",
)
def put_job(request: Request, cur: CursorDep, actor: ActorDep, job_id: Id, body: JobIn) -> SavedOut:
    save_job(cur, job_id, body.name.strip(), body.description, body.parent)
    _changed(request, cur, actor, "job.save", job_id)
    return SavedOut(id=job_id)


@router.delete(
    "/jobs/{job_id}",
    status_code=204,
    dependencies=[requires(Role.MANAGER)],
    responses={**_NOT_FOUND, **refused("the job still has steps, outcomes or related jobs")},
    summary="Remove a job with nothing under it",
)
def remove_job(request: Request, cur: CursorDep, actor: ActorDep, job_id: Id) -> Response:
    delete_job(cur, job_id)
    _changed(request, cur, actor, "job.delete", job_id)
    return Response(status_code=204)


@router.put(
    "/steps/{step_id}",
    response_model=SavedOut,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an unknown job"),
    summary="Add or replace a job step",
)
def put_step(
    request: Request, cur: CursorDep, actor: ActorDep, step_id: Id, body: StepIn
) -> SavedOut:
    save_step(cur, step_id, body.job_id, body.name.strip(), body.position)
    _changed(request, cur, actor, "step.save", step_id)
    return SavedOut(id=step_id)


@router.delete(
    "/steps/{step_id}",
    status_code=204,
    dependencies=[requires(Role.MANAGER)],
    responses={**_NOT_FOUND, **refused("the step still has outcomes")},
    summary="Remove a job step without outcomes",
)
def remove_step(request: Request, cur: CursorDep, actor: ActorDep, step_id: Id) -> Response:
    delete_step(cur, step_id)
    _changed(request, cur, actor, "step.delete", step_id)
    return Response(status_code=204)


@router.put(
    "/outcomes/{outcome_id}",
    response_model=OutcomeOut,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an unknown job or step, a step of another job"),
    summary="Add or replace an outcome statement; answers the linter's verdicts",
)
def put_outcome(
    request: Request, cur: CursorDep, actor: ActorDep, outcome_id: Id, body: OutcomeIn
) -> OutcomeOut:
    saved = save_outcome(cur, outcome_id, body.job_id, body.step_id, body.statement)
    _changed(request, cur, actor, "outcome.save", outcome_id)
    pipeline_of(request.app).mark("survey_responses")  # statements show beside the scores
    return OutcomeOut(**saved)


@router.delete(
    "/outcomes/{outcome_id}",
    status_code=204,
    dependencies=[requires(Role.MANAGER)],
    responses=_NOT_FOUND,
    summary="Remove an outcome statement",
)
def remove_outcome(request: Request, cur: CursorDep, actor: ActorDep, outcome_id: Id) -> Response:
    delete_outcome(cur, outcome_id)
    _changed(request, cur, actor, "outcome.delete", outcome_id)
    return Response(status_code=204)


# -- the page --------------------------------------------------------------------------------


def _page(
    request: Request,
    cur: Any,
    manager: bool,
    problem: str | None = None,
    saved: str | None = None,
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "outcome_catalog.html",
        {
            "jobs": read_catalog(cur),
            "surveys": list_surveys(cur),
            "manager": manager,
            "problem": problem,
            "saved": saved,
        },
        status_code=status,
    )


@pages.get(
    "/outcomes/catalog",
    response_class=HTMLResponse,
    name="outcome_catalog_page",
    dependencies=[requires(Role.VIEWER)],
)
def catalog_page(
    request: Request, cur: CursorDep, principal: PrincipalDep, saved: str | None = None
) -> Response:
    shown = saved[:500] if saved else None
    return _page(request, cur, principal.allows(Role.MANAGER), saved=shown)


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {k: v[0].strip() for k, v in fields.items() if v and v[0].strip()}


@pages.post(
    "/outcomes/catalog/{kind}/{action}",
    response_class=HTMLResponse,
    dependencies=[requires(Role.MANAGER)],
)
async def catalog_form(
    request: Request, cur: CursorDep, actor: ActorDep, kind: str, action: str
) -> Response:
    """The page's forms: ``job|step|outcome`` + ``save|delete``."""
    form = await _form(request)
    key = form.get("id", "")
    try:
        if kind in ("job", "step") and action == "save" and not form.get("name"):
            raise OutsideInError(f"a {kind} needs a name")
        if (kind, action) == ("job", "save"):
            save_job(cur, key, form.get("name", ""), form.get("description"), form.get("parent"))
        elif (kind, action) == ("step", "save"):
            position = form.get("position", "1")
            save_step(
                cur,
                key,
                form.get("job_id", ""),
                form.get("name", ""),
                int(position) if position.isdigit() else 1,
            )
        elif (kind, action) == ("outcome", "save"):
            save_outcome(
                cur, key, form.get("job_id", ""), form.get("step_id"), form.get("statement", "")
            )
        elif action == "delete" and kind in ("job", "step", "outcome"):
            {"job": delete_job, "step": delete_step, "outcome": delete_outcome}[kind](cur, key)
        else:
            return _page(request, cur, True, f"no catalog form {kind}/{action}", status=404)
    except OutsideInError as exc:
        return _page(request, cur, True, exc.message, status=422)
    _changed(request, cur, actor, f"{kind}.{action}", key)
    found = lint(form.get("statement", "")) if kind == "outcome" and action == "save" else []
    note = f"{kind} {key} {'saved' if action == 'save' else 'removed'}"
    if found:
        note += ": " + "; ".join(f.reason for f in found)
    return RedirectResponse(f"/outcomes/catalog?saved={quote(note[:500])}", 303)


__all__ = ["pages", "router"]
