"""Tasks: opened by playbooks (or by hand), listed and filtered, assigned, commented, snoozed,
completed with an outcome; their SLA (due, overdue) and escalation when overdue.

A task is ``open`` until completed (``done``); a snoozed task is open but out of the default
list until ``snoozed_until``. Its SLA clock is ``due_at``: ``overdue`` once past it while open.
:func:`escalate_overdue` hands an overdue task (past the grace in ``escalate_after_hours``)
to its team's lead, or ``manager`` when it has none: the task's ``escalated_to`` field and an
audit record ``task.escalate``. Every change by a person is audited (``task.*``) with its actor.

A CSM sees the tasks of their book (the account's CSM) and the tasks assigned to them; the
``csm`` argument of the readers and writers is that scope (None: everyone).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import duckdb
import pyarrow as pa

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.store import audit
from outsidein.tasks.teams import list_teams, team_of

__all__ = [
    "OUTCOMES",
    "STATUSES",
    "Comment",
    "Task",
    "TaskPage",
    "assign",
    "comment",
    "complete",
    "counts_by_csm",
    "create_task",
    "escalate_overdue",
    "get_task",
    "insert_tasks",
    "list_tasks",
    "overdue_tasks",
    "snooze",
]

OUTCOMES = ("resolved", "partly_resolved", "not_resolved", "not_needed")
STATUSES = ("open", "snoozed", "overdue", "done", "all")
TYPES = ("risk", "opportunity", "lifecycle", "activity")
PRIORITIES = ("low", "normal", "high", "urgent")
DUE_SOON_HOURS = 24
MAX_PAGE_SIZE = 500
MAX_SNOOZE_DAYS = 90
StatusFilter = Literal["open", "snoozed", "overdue", "done", "all"]
COLUMNS = (
    "task_id", "account_id", "playbook", "playbook_version", "firing_id", "reason", "type",
    "title", "priority", "status", "assignee", "team", "queue", "due_at", "snoozed_until",
    "steps", "context", "outcome", "outcome_note", "escalated_at", "escalated_to",
    "created_by", "created_at", "updated_at", "completed_at",
)  # fmt: skip
TASK_SCHEMA = pa.schema(
    [(c, pa.int32() if c == "playbook_version" else pa.timestamp("us") if c.endswith("_at")
      or c == "snoozed_until" else pa.string()) for c in COLUMNS]
)  # fmt: skip


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Comment:
    comment_id: str
    task_id: str
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Task:
    task_id: str
    account_id: str
    account_name: str | None
    csm_id: str | None
    playbook: str | None
    playbook_version: int | None
    firing_id: str | None
    reason: str
    type: str
    title: str
    priority: str
    status: str
    assignee: str | None
    team: str | None
    queue: str | None
    due_at: datetime
    snoozed_until: datetime | None
    steps: list[str]
    context: dict[str, Any]
    outcome: str | None
    outcome_note: str | None
    escalated_at: datetime | None
    escalated_to: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    sla: str  # done | overdue | due_soon | on_track
    comments: list[Comment] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.sla == "overdue"

    @property
    def snoozed(self) -> bool:
        return self.status == "open" and self.snoozed_until is not None \
            and self.snoozed_until > now_utc()  # fmt: skip


@dataclass(frozen=True)
class TaskPage:
    total: int
    overdue: int
    page: int
    page_size: int
    items: list[Task]


def sla_of(status: str, due_at: datetime, now: datetime) -> str:
    """The SLA timer in words: ``done``, ``overdue``, ``due_soon`` (within a day), ``on_track``."""
    if status == "done":
        return "done"
    if due_at < now:
        return "overdue"
    if due_at < now + timedelta(hours=DUE_SOON_HOURS):
        return "due_soon"
    return "on_track"


_SELECT = (
    "SELECT " + ", ".join(f"t.{c}" for c in COLUMNS) + ", a.name AS account_name, a.csm_id "
    "FROM tasks t LEFT JOIN accounts a ON a.account_id = t.account_id"
)


# Each status filter of the lists (``$now``: the time asked), one definition for every count.
STATUS_SQL: dict[str, str] = {
    "open": "t.status = 'open' AND (t.snoozed_until IS NULL OR t.snoozed_until <= $now)",
    "snoozed": "t.status = 'open' AND t.snoozed_until > $now",
    "overdue": "t.status = 'open' AND t.due_at < $now",
    "done": "t.status = 'done'",
    "all": "TRUE",
}


def _task(row: dict[str, Any], now: datetime) -> Task:
    steps = json.loads(row.pop("steps") or "[]")
    context = json.loads(row.pop("context") or "{}")
    sla = sla_of(row["status"], row["due_at"], now)
    return Task(**row, steps=steps, context=context, sla=sla)


def _scope(csm: str | None) -> tuple[str, dict[str, Any]]:
    """A CSM's tasks: their book's (the account's CSM) and those assigned to them."""
    if csm is None:
        return "TRUE", {}
    return "(lower(a.csm_id) = lower($csm) OR lower(t.assignee) = lower($csm))", {"csm": csm}


def list_tasks(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime | None = None,
    status: StatusFilter = "open",
    csm: str | None = None,
    assignee: str | None = None,
    account_id: str | None = None,
    playbook: str | None = None,
    type: str | None = None,
    priority: str | None = None,
    team: str | None = None,
    queue: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> TaskPage:
    """Tasks in ``csm``'s scope, filtered (any case) and paged: overdue first, then by due."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequestError(f"page from 1, page_size 1 to {MAX_PAGE_SIZE}")
    now = now or now_utc()
    scope, named = _scope(csm)
    where = [scope]
    where.append(STATUS_SQL[status])
    named["now"] = now
    for column, value in (("t.assignee", assignee), ("t.account_id", account_id),
                          ("t.playbook", playbook), ("t.type", type), ("t.priority", priority),
                          ("t.team", team), ("t.queue", queue)):  # fmt: skip
        if value:
            key = f"p{len(named)}"
            where.append(f"lower({column}) = lower(${key})")
            named[key] = value
    sql = "FROM tasks t LEFT JOIN accounts a USING (account_id) WHERE " + " AND ".join(where)
    total, overdue = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE t.status = 'open' AND t.due_at < $now) {sql}",
        named,
    ).fetchall()[0]
    rows = (
        con.sql(
            _SELECT
            + f" WHERE {' AND '.join(where)} ORDER BY (t.status = 'open' AND t.due_at < $now) "
            "DESC, t.status = 'done', t.due_at, CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' "
            "THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, t.task_id LIMIT $limit OFFSET $offset",
            params={**named, "limit": page_size, "offset": (page - 1) * page_size},
        )
        .to_arrow_table()
        .to_pylist()
    )
    return TaskPage(int(total), int(overdue), page, page_size, [_task(r, now) for r in rows])


def counts_by_csm(
    con: duckdb.DuckDBPyConnection, csms: Sequence[str], *, now: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """Each CSM's ``(open, overdue)`` task counts in one query: the totals
    :func:`list_tasks` gives with ``status="open"`` and ``"overdue"`` in that CSM's scope."""
    if not csms:
        return {}
    rows = con.execute(
        f"""SELECT c.csm, count(*) FILTER (WHERE {STATUS_SQL["open"]}),
                   count(*) FILTER (WHERE {STATUS_SQL["overdue"]})
            FROM (SELECT unnest($csms) AS csm) c
            JOIN (tasks t LEFT JOIN accounts a USING (account_id))
              ON lower(a.csm_id) = lower(c.csm) OR lower(t.assignee) = lower(c.csm)
            GROUP BY c.csm""",
        {"csms": list(csms), "now": now or now_utc()},
    ).fetchall()
    found = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    return {c: found.get(c, (0, 0)) for c in csms}


def overdue_tasks(
    con: duckdb.DuckDBPyConnection, *, csm: str | None = None, now: datetime | None = None
) -> list[Task]:
    """Every open task past its due time in ``csm``'s scope (My day's list), most overdue first."""
    return list_tasks(con, now=now, status="overdue", csm=csm, page_size=MAX_PAGE_SIZE).items


def get_task(
    con: duckdb.DuckDBPyConnection, task_id: str, *, csm: str | None = None,
    now: datetime | None = None,
) -> Task:  # fmt: skip
    """One task with its comments; NotFoundError outside ``csm``'s scope, as if absent."""
    scope, named = _scope(csm)
    rows = (
        con.sql(
            _SELECT + f" WHERE t.task_id = $task AND {scope}", params={"task": task_id, **named}
        )
        .to_arrow_table()
        .to_pylist()
    )
    if not rows:
        raise NotFoundError(f"no task {task_id!r}", task_id=task_id)
    comments = [
        Comment(*r)
        for r in con.execute(
            "SELECT comment_id, task_id, author, body, created_at FROM task_comments "
            "WHERE task_id = ? ORDER BY created_at, comment_id",
            [task_id],
        ).fetchall()
    ]
    task = _task(rows[0], now or now_utc())
    return Task(**{**task.__dict__, "comments": comments})


def insert_tasks(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Store new tasks (each a dict of :data:`COLUMNS`), in the caller's transaction."""
    if not rows:
        return 0
    table = pa.Table.from_pylist(list(rows), TASK_SCHEMA)  # the schema picks the columns
    con.register("_new_tasks", table)  # on the caller's connection: its transaction
    try:
        con.execute(f"INSERT INTO tasks ({', '.join(COLUMNS)}) SELECT * FROM _new_tasks")
    finally:
        con.unregister("_new_tasks")
    return len(rows)


def new_task_row(
    account_id: str, title: str, *, type: str, priority: str, due_at: datetime,
    created_by: str, now: datetime, reason: str = "by hand", assignee: str | None = None,
    team: str | None = None, queue: str | None = None, steps: Sequence[str] = (),
    context: dict[str, Any] | str | None = None, playbook: str | None = None,
    playbook_version: int | None = None, firing_id: str | None = None,
    task_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A task row as :func:`insert_tasks` takes it (``context``: a dict, or its JSON text)."""
    if not isinstance(context, str):
        context = json.dumps(context or {}, default=str)
    return {
        "task_id": task_id or "T-" + uuid.uuid4().hex[:12], "account_id": account_id,
        "playbook": playbook, "playbook_version": playbook_version, "firing_id": firing_id,
        "reason": reason, "type": type, "title": title, "priority": priority,
        "status": "open", "assignee": assignee, "team": team, "queue": queue,
        "due_at": due_at, "snoozed_until": None, "steps": json.dumps(list(steps)),
        "context": context, "outcome": None,
        "outcome_note": None, "escalated_at": None, "escalated_to": None,
        "created_by": created_by, "created_at": now, "updated_at": now, "completed_at": None,
    }  # fmt: skip


def create_task(
    con: duckdb.DuckDBPyConnection, account_id: str, title: str, *, actor: str,
    type: str = "activity", priority: str = "normal", due_at: datetime | None = None,
    assignee: str | None = None, steps: Sequence[str] = (), now: datetime | None = None,
) -> Task:  # fmt: skip
    """A task opened by hand (audited ``task.create``)."""
    now = now or now_utc()
    if type not in TYPES or priority not in PRIORITIES:
        raise InvalidRequestError(f"type is one of {TYPES}, priority one of {PRIORITIES}")
    found = con.execute("SELECT csm_id FROM accounts WHERE account_id = ?", [account_id]).fetchall()
    if not found:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    row = new_task_row(
        account_id, title, type=type, priority=priority, due_at=due_at or now + timedelta(days=3),
        created_by=actor, now=now, assignee=assignee or found[0][0], steps=steps,
    )  # fmt: skip
    _write(con, lambda: insert_tasks(con, [row]), actor, "task.create", row["task_id"],
           {"account_id": account_id, "title": title})  # fmt: skip
    return get_task(con, row["task_id"], now=now)


def _write(
    con: duckdb.DuckDBPyConnection, change: Any, actor: str, action: str, target: str,
    detail: dict[str, Any],
) -> None:  # fmt: skip
    con.execute("BEGIN TRANSACTION")
    try:
        change()
        audit.record(con, actor=actor, action=action, target=target, detail=detail)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _update(
    con: duckdb.DuckDBPyConnection, task_id: str, csm: str | None, actor: str, action: str,
    sets: dict[str, Any], detail: dict[str, Any], *, open_only: bool = True,
) -> Task:  # fmt: skip
    now = now_utc()
    task = get_task(con, task_id, csm=csm, now=now)
    if open_only and task.status != "open":
        raise InvalidRequestError(f"task {task_id} is {task.status}: reopen it first")
    assignments = ", ".join(f"{k} = ?" for k in sets)

    def change() -> None:
        con.execute(
            f"UPDATE tasks SET {assignments}, updated_at = ? WHERE task_id = ?",
            [*sets.values(), now, task_id],
        )

    _write(con, change, actor, action, task_id, {"account_id": task.account_id, **detail})
    return get_task(con, task_id, now=now)


def assign(
    con: duckdb.DuckDBPyConnection, task_id: str, assignee: str, *, actor: str,
    csm: str | None = None,
) -> Task:  # fmt: skip
    """Give the task to ``assignee`` (a CSM id or user name); a queue task leaves its queue."""
    assignee = assignee.strip()
    if not assignee or len(assignee) > 100:
        raise InvalidRequestError("assignee: a CSM id or user name of 1 to 100 characters")
    return _update(con, task_id, csm, actor, "task.assign",
                   {"assignee": assignee, "queue": None}, {"assignee": assignee})  # fmt: skip


def snooze(
    con: duckdb.DuckDBPyConnection, task_id: str, until: datetime, *, actor: str,
    csm: str | None = None,
) -> Task:  # fmt: skip
    """Hide the task from the open list until ``until`` (its due time stands)."""
    now = now_utc()
    if until.tzinfo is not None:
        until = until.astimezone(UTC).replace(tzinfo=None)
    if not now < until <= now + timedelta(days=MAX_SNOOZE_DAYS):
        raise InvalidRequestError(
            f"snooze until a time after now and within {MAX_SNOOZE_DAYS} days, "
            f"not {until:%Y-%m-%d %H:%M}"
        )
    return _update(con, task_id, csm, actor, "task.snooze", {"snoozed_until": until},
                   {"until": until.isoformat()})  # fmt: skip


def complete(
    con: duckdb.DuckDBPyConnection, task_id: str, outcome: str, *, actor: str,
    note: str | None = None, csm: str | None = None,
) -> Task:  # fmt: skip
    """Close the task with an ``outcome`` (one of :data:`OUTCOMES`) and an optional note."""
    if outcome not in OUTCOMES:
        raise InvalidRequestError(f"outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    sets = {"status": "done", "outcome": outcome, "outcome_note": note or None,
            "completed_at": now_utc(), "snoozed_until": None}  # fmt: skip
    return _update(con, task_id, csm, actor, "task.complete", sets, {"outcome": outcome})


def comment(
    con: duckdb.DuckDBPyConnection, task_id: str, body: str, *, author: str,
    csm: str | None = None,
) -> Comment:  # fmt: skip
    """Add a comment (on an open or done task)."""
    body = body.strip()
    if not body or len(body) > 5000:
        raise InvalidRequestError("a comment is 1 to 5,000 characters")
    task = get_task(con, task_id, csm=csm)
    made = Comment("N-" + uuid.uuid4().hex[:12], task_id, author, body, now_utc())

    def change() -> None:
        con.execute("INSERT INTO task_comments VALUES (?, ?, ?, ?, ?)",
                    [made.comment_id, task_id, author, body, made.created_at])  # fmt: skip
        con.execute("UPDATE tasks SET updated_at = ? WHERE task_id = ?", [made.created_at, task_id])

    _write(con, change, author, "task.comment", task_id,
           {"account_id": task.account_id, "comment_id": made.comment_id})  # fmt: skip
    return made


def escalate_overdue(
    con: duckdb.DuckDBPyConnection, *, now: datetime | None = None, after_hours: float = 24,
    actor: str = "pipeline",
) -> int:  # fmt: skip
    """Escalate every open, unsnoozed task overdue by ``after_hours`` and not escalated yet:
    to its team's lead (the task's team, else the assignee's), else ``manager``."""
    now = now or now_utc()
    rows = con.execute(
        "SELECT task_id, account_id, assignee, team, due_at FROM tasks WHERE status = 'open' "
        "AND escalated_at IS NULL AND due_at < ? AND (snoozed_until IS NULL OR snoozed_until <= ?)",
        [now - timedelta(hours=after_hours), now],
    ).fetchall()
    if not rows:
        return 0
    teams = list_teams(con)
    by_name = {t.name.lower(): t for t in teams}
    con.execute("BEGIN TRANSACTION")
    try:
        for task_id, account_id, assignee, team_name, due_at in rows:
            team = by_name.get((team_name or "").lower()) or team_of(teams, assignee)
            to = team.lead if team is not None and team.lead else "manager"
            con.execute(
                "UPDATE tasks SET escalated_at = ?, escalated_to = ?, updated_at = ? "
                "WHERE task_id = ?",
                [now, to, now, task_id],
            )
            audit.record(con, actor=actor, action="task.escalate", target=task_id,
                         detail={"account_id": account_id, "to": to, "due_at": due_at,
                                 "assignee": assignee})  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)
