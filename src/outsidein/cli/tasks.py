"""``outsidein tasks list|show|assign|comment|snooze|complete`` and ``outsidein teams ...``.

The same readings and writes as ``/api/v1/tasks`` and ``/api/v1/teams`` (:mod:`outsidein.tasks`);
while ``outsidein serve`` holds the store, that server answers and its user is the actor.
"""

from __future__ import annotations

import getpass
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import pyarrow as pa
import typer

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.cli.metrics import Out, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.tasks import service, teams

tasks_app = typer.Typer(
    name="tasks", help="Tasks: list, show, assign, comment, snooze, complete.",
    no_args_is_help=True,
)  # fmt: skip
teams_app = typer.Typer(name="teams", help="Teams: list, set, delete.", no_args_is_help=True)
app.add_typer(tasks_app)
app.add_typer(teams_app)

TaskId = Annotated[str, typer.Argument(help="The task's id (T-...)")]
COLUMNS = ["task_id", "account_id", "title", "priority", "assignee", "queue", "due_at", "sla",
           "playbook", "reason"]  # fmt: skip


def _rows(tasks: list[service.Task]) -> list[dict[str, Any]]:
    return [{**{k: v for k, v in asdict(t).items() if k != "comments"}, "sla": t.sla}
            for t in tasks]  # fmt: skip


def _table(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    clean = [{c: r.get(c) for c in columns} for r in rows]
    return pa.Table.from_pylist(clean) if clean else pa.table({c: [] for c in columns})


@tasks_app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help="open, snoozed, overdue, done or all")] = "open",
    assignee: Annotated[str | None, typer.Option()] = None,
    account: Annotated[str | None, typer.Option()] = None,
    playbook: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Tasks, overdue first."""
    if status not in service.STATUSES:
        raise typer.BadParameter(f"one of {', '.join(service.STATUSES)}", param_hint="--status")
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = store.get("/api/v1/tasks", {"status": status, "assignee": assignee,
                                                "account_id": account, "playbook": playbook,
                                                "page_size": limit})  # fmt: skip
            total, overdue, rows = found["total"], found["overdue"], found["tasks"]
        else:
            page = service.list_tasks(
                store, status=status, assignee=assignee,  # type: ignore[arg-type]
                account_id=account, playbook=playbook, page_size=limit,
            )  # fmt: skip
            total, overdue, rows = page.total, page.overdue, _rows(page.items)
    _show(_table(rows, COLUMNS), f"{total:,} tasks ({overdue:,} overdue)", out, COLUMNS)


def _print(task: dict[str, Any]) -> None:
    console.print(
        f"{task['task_id']} [{task['status']}, {task['sla']}] {task['title']}\n"
        f"  account {task['account_id']} · {task['type']} · {task['priority']} · owner "
        f"{task['assignee'] or 'queue ' + str(task['queue'])} · due {task['due_at']}\n"
        f"  why: {task['reason']}"
        + (f" (playbook {task['playbook']})" if task["playbook"] else ""),
        highlight=False,
    )
    for i, step in enumerate(task.get("steps") or [], start=1):
        console.print(f"  {i}. {step}", highlight=False)
    if task.get("escalated_to"):
        console.print(f"  escalated to {task['escalated_to']}", highlight=False)
    if task.get("outcome"):
        console.print(f"  outcome: {task['outcome']} {task.get('outcome_note') or ''}",
                      highlight=False)  # fmt: skip
    for c in task.get("comments") or []:
        console.print(f"  - {c['author']} ({c['created_at']}): {c['body']}", highlight=False)


def _task_dict(task: service.Task) -> dict[str, Any]:
    return {**asdict(task), "sla": task.sla}


def _write(db: Any, path: str, body: dict[str, Any], local: Any) -> None:
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=False) as store:
        found = store.call("POST", path, body=body) if isinstance(store, Server) else local(store)
    if "task_id" in found and "title" in found:
        _print(found)
    else:
        console.print(f"comment {found.get('comment_id')} added", highlight=False)


@tasks_app.command("show")
def show_command(task_id: TaskId, db: DbOption = None) -> None:
    """One task: its steps, why it was opened, its comments."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = store.get(f"/api/v1/tasks/{task_id}")
        else:
            found = _task_dict(service.get_task(store, task_id))
    _print(found)


@tasks_app.command("assign")
def assign_command(
    task_id: TaskId, assignee: Annotated[str, typer.Argument()], db: DbOption = None
) -> None:
    """Give a task to a CSM (or user)."""
    _write(db, f"/api/v1/tasks/{task_id}/assign", {"assignee": assignee},
           lambda con: _task_dict(service.assign(con, task_id, assignee,
                                                 actor=getpass.getuser())))  # fmt: skip


@tasks_app.command("comment")
def comment_command(
    task_id: TaskId, body: Annotated[str, typer.Argument()], db: DbOption = None
) -> None:
    """Add a comment."""
    _write(db, f"/api/v1/tasks/{task_id}/comments", {"body": body},
           lambda con: asdict(service.comment(con, task_id, body,
                                              author=getpass.getuser())))  # fmt: skip


@tasks_app.command("snooze")
def snooze_command(
    task_id: TaskId,
    days: Annotated[int, typer.Option(min=1, max=service.MAX_SNOOZE_DAYS)] = 1,
    db: DbOption = None,
) -> None:
    """Out of the open list for ``--days`` days (its due time stands)."""
    until = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days)
    _write(db, f"/api/v1/tasks/{task_id}/snooze", {"until": until.isoformat()},
           lambda con: _task_dict(service.snooze(con, task_id, until,
                                                 actor=getpass.getuser())))  # fmt: skip


@tasks_app.command("complete")
def complete_command(
    task_id: TaskId,
    outcome: Annotated[str, typer.Option(help=", ".join(service.OUTCOMES))],
    note: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
) -> None:
    """Close a task with its outcome."""
    _write(db, f"/api/v1/tasks/{task_id}/complete", {"outcome": outcome, "note": note},
           lambda con: _task_dict(service.complete(con, task_id, outcome, note=note,
                                                   actor=getpass.getuser())))  # fmt: skip


@teams_app.command("list")
def teams_list(db: DbOption = None) -> None:
    """Teams, their members in round-robin order and their lead."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            rows = store.get("/api/v1/teams")
        else:
            rows = [asdict(t) for t in teams.list_teams(store)]
    for r in rows:
        console.print(f"{r['name']}: lead {r['lead'] or '—'}; members "
                      f"{', '.join(r['members']) or 'none'}", highlight=False)  # fmt: skip
    if not rows:
        console.print("no team yet (`outsidein teams set NAME --member ID --lead ID`)")


@teams_app.command("set")
def teams_set(
    name: Annotated[str, typer.Argument()],
    member: Annotated[list[str], typer.Option("--member", help="A CSM id; repeat, in order")],
    lead: Annotated[str | None, typer.Option("--lead", help="Escalations go here")] = None,
    db: DbOption = None,
) -> None:
    """Create or replace a team."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            store.call("PUT", f"/api/v1/teams/{name}", body={"members": member, "lead": lead})
        else:
            teams.set_team(store, name, member, lead, getpass.getuser())
    console.print(f"team {name}: {', '.join(member)}; lead {lead or '—'}", highlight=False)


@teams_app.command("delete")
def teams_delete(name: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """Remove a team (its tasks keep their owners)."""
    chosen = settings(db)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            store.call("DELETE", f"/api/v1/teams/{name}")
        else:
            teams.delete_team(store, name, getpass.getuser())
    console.print(f"team {name} removed", highlight=False)
