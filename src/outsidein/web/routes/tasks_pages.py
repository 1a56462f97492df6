"""``/tasks`` (the cockpit), ``/tasks/{id}``, ``/playbooks`` and ``/playbooks/{name}``.

The cockpit lists tasks with filters, overdue first and highlighted; a task's page assigns,
comments, snoozes and completes it through plain forms (with the session's CSRF token), which
answer with a redirect back. A CSM sees their own book (``BookDep``). Everything is read and
written through :mod:`outsidein.tasks` and :mod:`outsidein.playbooks`: the API's definitions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError, NotFoundError, OutsideInError
from outsidein.playbooks.firings import list_firings, summaries
from outsidein.playbooks.versions import versions_of
from outsidein.tasks import service, teams
from outsidein.web.access import ActorDep, BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import PageParam
from outsidein.web.templating import templates, url_with

router = APIRouter(include_in_schema=False)

Filter = Annotated[str | None, Query(max_length=200)]
PAGE_SIZE = 25
SNOOZES = (("1", "1 day"), ("3", "3 days"), ("7", "1 week"), ("14", "2 weeks"))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _blank(value: str | None) -> str | None:
    return value if value else None


@router.get("/tasks", response_class=HTMLResponse, name="tasks_page")
def tasks_page(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    status: service.StatusFilter = "open",
    assignee: Filter = None,
    type: Filter = None,
    priority: Filter = None,
    playbook: Filter = None,
    page: PageParam = 1,
) -> Response:
    found = service.list_tasks(
        cur, status=status, csm=book.csm(None), assignee=_blank(assignee), type=_blank(type),
        priority=_blank(priority), playbook=_blank(playbook), page=page, page_size=PAGE_SIZE,
    )  # fmt: skip
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    if page > pages:
        return RedirectResponse(url_with(request, page=pages if pages > 1 else None), 303)
    assignees = [r[0] for r in cur.execute(
        "SELECT DISTINCT assignee FROM tasks WHERE assignee IS NOT NULL ORDER BY 1"
    ).fetchall()]  # fmt: skip
    playbooks = [r[0] for r in cur.execute(
        "SELECT DISTINCT playbook FROM tasks WHERE playbook IS NOT NULL ORDER BY 1"
    ).fetchall()]  # fmt: skip
    return templates.TemplateResponse(request, "tasks.html", {
        "r": found, "status": status, "statuses": service.STATUSES,
        "assignee": assignee, "assignees": assignees if book.csm_id is None else [book.csm_id],
        "type": type, "types": service.TYPES, "priority": priority,
        "priorities": service.PRIORITIES, "playbook": playbook, "playbooks": playbooks,
        "mine": book.csm_id is not None, "pages": pages,
        "prev_url": url_with(request, page=page - 1) if page > 1 else None,
        "next_url": url_with(request, page=page + 1) if page < pages else None,
    })  # fmt: skip


def _task_page(
    request: Request, cur: Any, book: Any, task_id: str, problem: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    task = service.get_task(cur, task_id, csm=book.csm(None))
    return templates.TemplateResponse(request, "task.html", {
        "t": task, "outcomes": service.OUTCOMES, "snoozes": SNOOZES, "problem": problem,
        "teams": teams.list_teams(cur),
    }, status_code=status_code)  # fmt: skip


@router.get("/tasks/{task_id}", response_class=HTMLResponse, name="task_page")
def task_page(request: Request, cur: CursorDep, book: BookDep, task_id: str) -> Response:
    return _task_page(request, cur, book, task_id)


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {k: v[0].strip() for k, v in fields.items() if v}


@router.post("/tasks/{task_id}/{action}", response_class=HTMLResponse,
             dependencies=[requires(Role.CSM)])  # fmt: skip
async def task_action(
    request: Request, cur: CursorDep, book: BookDep, actor: ActorDep, task_id: str, action: str
) -> Response:
    """``assign``, ``comment``, ``snooze`` or ``complete`` from the task page's forms."""
    form = await _form(request)
    csm = book.csm(None)
    try:
        if action == "assign":
            service.assign(cur, task_id, form.get("assignee", ""), actor=actor, csm=csm)
        elif action == "comment":
            service.comment(cur, task_id, form.get("body", ""), author=actor, csm=csm)
        elif action == "snooze":
            days = form.get("days", "")
            if not days.isdigit() or not 1 <= int(days) <= service.MAX_SNOOZE_DAYS:
                raise InvalidRequestError(f"snooze for 1 to {service.MAX_SNOOZE_DAYS} days")
            until = datetime.combine(_now().date() + timedelta(days=int(days)), time(8))
            service.snooze(cur, task_id, until, actor=actor, csm=csm)
        elif action == "complete":
            service.complete(cur, task_id, form.get("outcome", ""), actor=actor,
                             note=form.get("note") or None, csm=csm)  # fmt: skip
        else:
            raise NotFoundError(f"no task action {action!r}")
    except NotFoundError:
        raise
    except OutsideInError as exc:
        return _task_page(request, cur, book, task_id, exc.message, 422)
    return RedirectResponse(f"/tasks/{quote(task_id, safe='')}", 303)


@router.get("/playbooks", response_class=HTMLResponse, name="playbooks_page")
def playbooks_page(request: Request, cur: CursorDep, book: BookDep, config: ConfigDep) -> Response:
    rows = summaries(cur, config.playbooks, _now())
    recent = list_firings(cur, csm=book.csm(None), page_size=20)
    return templates.TemplateResponse(request, "playbooks.html", {
        "rows": rows, "fired": recent, "section": config.playbooks,
    })  # fmt: skip


@router.get("/playbooks/{name}", response_class=HTMLResponse, name="playbook_page")
def playbook_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep, name: str,
    page: PageParam = 1,
) -> Response:  # fmt: skip
    current = config.playbooks.get(name)
    try:
        versions = versions_of(cur, name)
    except NotFoundError:
        if current is None:
            raise
        versions = []
    fired = list_firings(cur, playbook=name, csm=book.csm(None), page=page, page_size=PAGE_SIZE)
    pages = max(1, math.ceil(fired.total / PAGE_SIZE))
    return templates.TemplateResponse(request, "playbook.html", {
        "name": name, "book": current, "versions": versions, "fired": fired, "pages": pages,
        "prev_url": url_with(request, page=page - 1) if page > 1 else None,
        "next_url": url_with(request, page=page + 1) if page < pages else None,
    })  # fmt: skip
