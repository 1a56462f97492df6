"""``/api/v1/tasks`` and ``/api/v1/teams``: the task cockpit's API (docs/tasks.md).

A CSM sees and works on the tasks of their book and those assigned to them (anything else is
404, as if absent); managers and admins see all. Every change is audited with its actor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.tasks import service, teams
from outsidein.web.access import ActorDep, BookDep, requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import PageParam, PageSizeParam
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.playbooks import (
    AssignIn,
    CommentIn,
    CommentOut,
    CompleteIn,
    SnoozeIn,
    TaskIn,
    TaskList,
    TaskOut,
    TeamIn,
    TeamOut,
)

router = APIRouter(prefix="/tasks", tags=["tasks"])
teams_router = APIRouter(prefix="/teams", tags=["tasks"])

Filter = Annotated[str | None, Query(min_length=1, max_length=200)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such task (or not in your book)"}
}


@router.get("", response_model=TaskList, summary="Tasks, filtered: overdue first")
def list_tasks(
    cur: CursorDep,
    book: BookDep,
    status: service.StatusFilter = "open",
    assignee: Filter = None,
    account_id: Filter = None,
    playbook: Filter = None,
    type: Filter = None,
    priority: Filter = None,
    team: Filter = None,
    queue: Filter = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> TaskList:
    """``status``: open (not snoozed), snoozed, overdue, done or all; other filters any case."""
    found = service.list_tasks(
        cur, status=status, csm=book.csm(None), assignee=assignee, account_id=account_id,
        playbook=playbook, type=type, priority=priority, team=team, queue=queue, page=page,
        page_size=page_size,
    )  # fmt: skip
    return TaskList.of(found)


@router.post(
    "",
    status_code=201,
    response_model=TaskOut,
    dependencies=[requires(Role.CSM)],
    responses={404: {"model": ErrorResponse, "description": "No such account"}},
    summary="Open a task by hand",
)
def create(cur: CursorDep, book: BookDep, actor: ActorDep, body: TaskIn) -> TaskOut:
    if book.csm_id is not None:  # a CSM opens tasks on their own book only
        row = cur.execute("SELECT csm_id FROM accounts WHERE account_id = ?",
                          [body.account_id]).fetchall()  # fmt: skip
        if not row or (row[0][0] or "").lower() != book.csm_id.lower():
            raise NotFoundError(f"no account with account_id {body.account_id!r}")
    made = service.create_task(
        cur, body.account_id, body.title, actor=actor, type=body.type, priority=body.priority,
        due_at=body.due_at, assignee=body.assignee, steps=body.steps,
    )  # fmt: skip
    return TaskOut.of(made)


@router.get("/{task_id}", response_model=TaskOut, responses=NOT_FOUND, summary="One task")
def show(cur: CursorDep, book: BookDep, task_id: str) -> TaskOut:
    """With its steps, the context its playbook fired with, and its comments."""
    return TaskOut.of(service.get_task(cur, task_id, csm=book.csm(None)))


WRITE = [requires(Role.CSM)]
WRITE_ANSWERS = {**NOT_FOUND, **refused("the task is done, or a value is out of range")}


@router.post(
    "/{task_id}/assign",
    response_model=TaskOut,
    summary="Assign a task",
    dependencies=WRITE,
    responses=WRITE_ANSWERS,
)
def assign(cur: CursorDep, book: BookDep, actor: ActorDep, task_id: str, body: AssignIn) -> TaskOut:
    return TaskOut.of(service.assign(cur, task_id, body.assignee, actor=actor, csm=book.csm(None)))


@router.post(
    "/{task_id}/comments", response_model=CommentOut, status_code=201,
    summary="Comment on a task", dependencies=WRITE, responses=WRITE_ANSWERS,
)  # fmt: skip
def comment(
    cur: CursorDep, book: BookDep, actor: ActorDep, task_id: str, body: CommentIn
) -> CommentOut:
    made = service.comment(cur, task_id, body.body, author=actor, csm=book.csm(None))
    return CommentOut.of(made)


@router.post(
    "/{task_id}/snooze",
    response_model=TaskOut,
    summary="Snooze a task",
    dependencies=WRITE,
    responses=WRITE_ANSWERS,
)
def snooze(cur: CursorDep, book: BookDep, actor: ActorDep, task_id: str, body: SnoozeIn) -> TaskOut:
    """Out of the open list until ``until`` (at most 90 days); its due time stands."""
    return TaskOut.of(service.snooze(cur, task_id, body.until, actor=actor, csm=book.csm(None)))


@router.post(
    "/{task_id}/complete", response_model=TaskOut, summary="Complete a task with an outcome",
    dependencies=WRITE, responses=WRITE_ANSWERS,
)  # fmt: skip
def complete(
    cur: CursorDep, book: BookDep, actor: ActorDep, task_id: str, body: CompleteIn
) -> TaskOut:
    done = service.complete(cur, task_id, body.outcome, actor=actor, note=body.note,
                            csm=book.csm(None))  # fmt: skip
    return TaskOut.of(done)


@teams_router.get("", response_model=list[TeamOut], summary="Teams (round robin, escalation)")
def list_teams(cur: CursorDep) -> list[TeamOut]:
    return [TeamOut.of(t) for t in teams.list_teams(cur)]


@teams_router.get(
    "/{name}", response_model=TeamOut, summary="One team",
    responses={404: {"model": ErrorResponse, "description": "No such team"}},
)  # fmt: skip
def get_team(cur: CursorDep, name: str) -> TeamOut:
    return TeamOut.of(teams.get_team(cur, name))


@teams_router.put(
    "/{name}",
    response_model=TeamOut,
    dependencies=[requires(Role.MANAGER)],
    responses=refused("a name with other characters, a member listed twice"),
    summary="Create or replace a team",
)
def put_team(cur: CursorDep, actor: ActorDep, name: str, body: TeamIn) -> TeamOut:
    return TeamOut.of(teams.set_team(cur, name, body.members, body.lead, actor))


@teams_router.delete(
    "/{name}", status_code=204, dependencies=[requires(Role.MANAGER)],
    responses={404: {"model": ErrorResponse, "description": "No such team"}},
    summary="Remove a team",
)  # fmt: skip
def delete_team(cur: CursorDep, actor: ActorDep, name: str) -> Response:
    teams.delete_team(cur, name, actor)
    return Response(status_code=204)
