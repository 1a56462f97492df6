"""My day's overdue tasks: :func:`outsidein.tasks.overdue_tasks`, the cockpit's own
definition (open, past its due time, not snoozed), in the CSM's scope, most overdue first."""

from __future__ import annotations

from outsidein.myday.models import DayItem
from outsidein.myday.registry import DayContext, Panel, register_panel
from outsidein.tasks import overdue_tasks

__all__ = ["overdue"]


def overdue(ctx: DayContext) -> list[DayItem]:
    """Each overdue task of the book, linking to the task."""
    out = []
    for task in overdue_tasks(ctx.cur, csm=ctx.csm, now=ctx.at):
        late = ctx.at - task.due_at
        days = max(late.days, 0)
        out.append(
            DayItem(
                account_id=task.account_id,
                account_name=task.account_name or task.account_id,
                csm_id=task.csm_id,
                headline=f"{task.title}: due {task.due_at:%-d %b %Y}"
                + (f", {days} day{'s' * (days != 1)} late" if days else ", late today"),
                detail=f"{task.priority} priority · {task.assignee or 'unassigned'}"
                + (f" · playbook {task.playbook}" if task.playbook else ""),
                at=task.due_at,
                value=float(days),
                link=f"/tasks/{task.task_id}",
            )
        )
    return out


register_panel(Panel("tasks", "Overdue tasks", "No task is overdue.", overdue))
