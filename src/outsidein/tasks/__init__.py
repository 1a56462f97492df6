"""Tasks (the cockpit) and teams: docs/tasks.md."""

from outsidein.tasks.service import (
    OUTCOMES,
    Comment,
    Task,
    TaskPage,
    assign,
    comment,
    complete,
    create_task,
    escalate_overdue,
    get_task,
    list_tasks,
    overdue_tasks,
    snooze,
)
from outsidein.tasks.teams import Team, delete_team, get_team, list_teams, set_team

__all__ = [
    "OUTCOMES",
    "Comment",
    "Task",
    "TaskPage",
    "Team",
    "assign",
    "comment",
    "complete",
    "create_task",
    "delete_team",
    "escalate_overdue",
    "get_task",
    "get_team",
    "list_tasks",
    "list_teams",
    "overdue_tasks",
    "set_team",
    "snooze",
]
