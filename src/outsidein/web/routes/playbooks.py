"""``/api/v1/playbooks``: the playbooks in force, their versions, edits, runs and firings.

Playbooks are the ``[playbooks]`` section of the versioned configuration: a PUT or DELETE
stores a new configuration version (and the playbook's next version). The section's pipeline
step (:class:`outsidein.playbooks.step.PlaybookStep`) evaluates them when the data they read
changes; ``POST /run`` asks it to evaluate every account now.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import ValidationError

from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.pipeline import Step
from outsidein.playbooks.firings import list_firings, summaries
from outsidein.playbooks.step import PlaybookStep
from outsidein.playbooks.versions import sync_versions, versions_of
from outsidein.settings.playbooks import Playbook, PlaybooksConfig
from outsidein.store.config_versions import ConfigVersion, current_config_version
from outsidein.web.access import BookDep, PrincipalDep, actor_name, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import ConfigDep, CursorDep, ServerConfig
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


@router.get("/firings", response_model=FiringList, summary="Firings of every playbook")
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


def _section(raw: dict[str, Any]) -> PlaybooksConfig:
    try:
        return PlaybooksConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise InvalidRequestError(f"playbooks: {problems}") from None


@router.put(
    "",
    response_model=PlaybookList,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("an invalid section (a template named that does not exist, ...)"),
    summary="Replace every playbook (a new configuration version)",
)
def replace_all(
    request: Request, cur: CursorDep, principal: PrincipalDep, body: PlaybooksConfig
) -> PlaybookList:
    """What ``outsidein playbooks apply FILE`` sends: the whole ``[playbooks]`` section."""
    stored = _publish(request, cur, body, f"PUT /api/v1/playbooks by {actor_name(principal)}")
    rows = [PlaybookRow.of(s) for s in summaries(cur, stored.config.playbooks, _now())]
    return PlaybookList(config_version=stored.version, playbooks=rows)


@router.post(
    "/run",
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
def show(cur: CursorDep, config: ConfigDep, name: str) -> PlaybookOut:
    """Its definition in force and every version, newest first."""
    book = config.playbooks.get(name)
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
    responses=refused("the body's name differs from the path's, or the section is invalid"),
    summary="Create or change one playbook (its next version)",
)
def put_playbook(
    request: Request, cur: CursorDep, config: ConfigDep, principal: PrincipalDep, name: str,
    body: Playbook,
) -> PlaybookOut:  # fmt: skip
    if body.name != name:
        raise InvalidRequestError(f"the body names playbook {body.name!r}, the path {name!r}")
    books = [b for b in config.playbooks.playbooks if b.name != name] + [body]
    section = _section({**config.playbooks.model_dump(mode="json"),
                        "playbooks": [b.model_dump(mode="json") for b in books]})  # fmt: skip
    stored = _publish(request, cur, section, f"PUT /api/v1/playbooks/{name} by "
                      f"{actor_name(principal)}")  # fmt: skip
    return show(cur, stored.config, name)


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
    cur: CursorDep, book: BookDep, name: str, held_out: bool | None = None,
    page: PageParam = 1, page_size: PageSizeParam = 50,
) -> FiringList:  # fmt: skip
    return firings(cur, book, name, None, held_out, page, page_size)
