"""``/api/v1/playbooks``: the playbooks in force, their versions, edits, runs and firings.

Playbooks are the ``[playbooks]`` section of the versioned configuration: a PUT or DELETE
stores a new configuration version (and the playbook's next version). The section's pipeline
step (:class:`outsidein.playbooks.step.PlaybookStep`) evaluates them when the data they read
changes; ``POST /run`` asks it to evaluate every account now.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, ValidationError

from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError, MalformedRequestError, NotFoundError
from outsidein.pipeline import Step
from outsidein.playbooks.firings import list_firings, summaries
from outsidein.playbooks.step import PlaybookStep
from outsidein.playbooks.versions import sync_versions, versions_of
from outsidein.settings.playbooks import Playbook, PlaybooksConfig
from outsidein.store.config_versions import ConfigVersion, current_config_version
from outsidein.web.access import BookDep, PrincipalDep, actor_name, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import ConfigDep, CursorDep, ServerConfig
from outsidein.web.openapi import documented_body
from outsidein.web.params import PageParam, PageSizeParam
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.playbooks import (
    FiringList,
    PlaybookList,
    PlaybookOut,
    PlaybookRow,
    RunOut,
    VersionOut,
)


def _steps(app: FastAPI) -> list[Step]:
    """Runs the playbooks while the server runs (docs/playbooks.md#when-rules-run)."""
    step = PlaybookStep(lambda: app.state.config.current.config)
    app.state.playbook_step = step
    return [step.step()]


router = APIRouter(prefix="/playbooks", tags=["playbooks"], lifespan=with_steps(_steps))
# Beside /playbooks/{name}, never under it (a name would shadow them): firings and runs.
runs_router = APIRouter(tags=["playbooks"])
M = TypeVar("M", bound=BaseModel)
MAX_BODY = 1024 * 1024

Name = Annotated[str, Query(min_length=1, max_length=60)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such playbook"}
}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@router.get("", response_model=PlaybookList, summary="The playbooks in force")
def list_playbooks(cur: CursorDep, config: ConfigDep) -> PlaybookList:
    """Each with its trigger, current version, firings in the last 30 days and open tasks."""
    rows = [PlaybookRow.of(s) for s in summaries(cur, config.playbooks, _now())]
    return PlaybookList(config_version=current_config_version(cur), playbooks=rows)


@runs_router.get("/firings", response_model=FiringList, summary="Firings of every playbook")
def firings(
    cur: CursorDep,
    book: BookDep,
    playbook: Annotated[str | None, Query(max_length=60)] = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    held_out: bool | None = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> FiringList:
    """Newest first: who was treated (or held out), by which version and variant, and why;
    a CSM sees their own book."""
    found = list_firings(cur, playbook=playbook, account_id=account_id, held_out=held_out,
                         csm=book.csm(None), page=page, page_size=page_size)  # fmt: skip
    return FiringList.of(found)


def _publish(request: Request, cur: Any, section: PlaybooksConfig, origin: str) -> ConfigVersion:
    server: ServerConfig = request.app.state.config
    current = server.current.config
    stored = server.replace(cur, current.model_copy(update={"playbooks": section}), origin)
    sync_versions(cur, stored.config.playbooks, stored.version, origin)
    pipeline_of(request.app).mark("config_versions")  # the step evaluates every account
    return stored


def _parse(model: type[M], raw: bytes | dict[str, Any], what: str) -> M:
    """``raw`` (JSON text, or a dict) as ``model``: a value refused
    by a rule (an unknown field in an expression, a template that does not exist) is 422; a
    body of the wrong shape is 400."""
    try:
        if isinstance(raw, bytes):
            return model.model_validate_json(raw)
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in errors
        )
        rule = all(e["type"] == "value_error" for e in errors)
        error = InvalidRequestError if rule else MalformedRequestError
        raise error(f"{what}: {problems}") from None


async def _body(request: Request) -> bytes:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise MalformedRequestError(f"the body is over {MAX_BODY:,} bytes")
    try:
        if not isinstance(json.loads(raw), dict):
            raise MalformedRequestError("the body must be a JSON object")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRequestError(f"the body is not JSON: {exc}") from None
    return raw


@router.put(
    "",
    response_model=PlaybookList,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an expression naming an unknown field, a template that does not exist"),
    summary="Replace every playbook (a new configuration version)",
    openapi_extra=documented_body(PlaybooksConfig, "The whole [playbooks] section"),
)
async def replace_all(request: Request, cur: CursorDep, principal: PrincipalDep) -> PlaybookList:
    """What ``outsidein playbooks apply FILE`` sends: the whole ``[playbooks]`` section."""
    body = _parse(PlaybooksConfig, await _body(request), "playbooks")
    origin = f"PUT /api/v1/playbooks by {actor_name(principal)}"
    stored = await asyncio.to_thread(_publish, request, cur, body, origin)
    rows = [PlaybookRow.of(s) for s in summaries(cur, stored.config.playbooks, _now())]
    return PlaybookList(config_version=stored.version, playbooks=rows)


@runs_router.post(
    "/playbook-runs",
    status_code=202,
    response_model=RunOut,
    dependencies=[requires(Role.MANAGER)],
    summary="Evaluate every playbook for every account now",
)
def run(request: Request) -> RunOut:
    """The server's step does it at once (its result on /status and in the firings)."""
    step: PlaybookStep = request.app.state.playbook_step
    step.ask()
    pipeline_of(request.app).mark("config_versions", urgent=True)
    return RunOut(queued=True)


@router.get("/{name}", response_model=PlaybookOut, responses=NOT_FOUND, summary="One playbook")
def show(
    cur: CursorDep, config: ConfigDep, name: str,
    include_removed: Annotated[bool, Query(description="A removed one too (its versions)")] = False,
) -> PlaybookOut:  # fmt: skip
    """Its definition in force and every version, newest first (a removed playbook is 404
    unless ``include_removed``)."""
    book = config.playbooks.get(name)
    if book is None and not include_removed:
        raise NotFoundError(f"no playbook {name!r} in force (include_removed=true: its "
                            "history)", playbook=name)  # fmt: skip
    try:
        versions = [VersionOut.of(v) for v in versions_of(cur, name)]
    except NotFoundError:
        if book is None:
            raise NotFoundError(f"no playbook {name!r}", playbook=name) from None
        versions = []
    return PlaybookOut(name=name, playbook=book, versions=versions)


@router.put(
    "/{name}",
    response_model=PlaybookOut,
    dependencies=[requires(Role.MANAGER)],
    responses=refused(
        "the body's name differs from the path's; an expression naming an unknown "
        "field, a template that does not exist"
    ),
    summary="Create or change one playbook (its next version)",
    openapi_extra=documented_body(Playbook, "The playbook, shaped like [[playbooks.playbooks]]"),
)
async def put_playbook(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep, name: str
) -> PlaybookOut:
    body = _parse(Playbook, await _body(request), "playbook")
    if body.name != name:
        raise InvalidRequestError(f"the body names playbook {body.name!r}, the path {name!r}")
    books = [b for b in config.playbooks.playbooks if b.name != name] + [body]
    raw = {**config.playbooks.model_dump(mode="json"),
           "playbooks": [b.model_dump(mode="json") for b in books]}  # fmt: skip
    section = _parse(PlaybooksConfig, raw, "playbooks")
    origin = f"PUT /api/v1/playbooks/{name} by {actor_name(principal)}"
    stored = await asyncio.to_thread(_publish, request, cur, section, origin)
    return show(cur, stored.config, name, include_removed=False)


@router.delete(
    "/{name}",
    status_code=204,
    dependencies=[requires(Role.MANAGER)],
    responses=NOT_FOUND,
    summary="Remove a playbook (its firings and tasks stay)",
)
def delete_playbook(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep, name: str
) -> Response:
    if config.playbooks.get(name) is None:
        raise NotFoundError(f"no playbook {name!r}", playbook=name)
    books = [b for b in config.playbooks.playbooks if b.name != name]
    section = config.playbooks.model_copy(update={"playbooks": books})
    _publish(request, cur, section, f"DELETE /api/v1/playbooks/{name} by {actor_name(principal)}")
    return Response(status_code=204)


@router.get(
    "/{name}/firings", response_model=FiringList, responses=NOT_FOUND,
    summary="One playbook's firings",
)  # fmt: skip
def playbook_firings(
    cur: CursorDep, config: ConfigDep, book: BookDep, name: str, held_out: bool | None = None,
    page: PageParam = 1, page_size: PageSizeParam = 50,
) -> FiringList:  # fmt: skip
    """A playbook in force; a removed one's firings: ``GET /api/v1/firings?playbook=NAME``."""
    if config.playbooks.get(name) is None:
        raise NotFoundError(f"no playbook {name!r} in force (its firings: GET /api/v1/firings"
                            f"?playbook={name})", playbook=name)  # fmt: skip
    return firings(cur, book, name, None, held_out, page, page_size)
