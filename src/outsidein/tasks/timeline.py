"""One account's playbook and task history as timeline items, newest first.

What the account timeline shows of this capability: each playbook firing (held out or
treated), each task opened, escalated and completed, and each comment — one row each, with
its time, kind, a line of text, who, and the ids to link to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

__all__ = ["TimelineItem", "account_items"]

_SQL = """
SELECT fired_at AS "at", 'playbook.fired' AS kind,
       playbook || ' v' || playbook_version || ': ' || reason
           || CASE WHEN held_out THEN ' (held out)' ELSE '' END AS text,
       'playbook:' || playbook AS who, NULL AS task_id, firing_id AS ref
FROM playbook_firings WHERE account_id = $a
UNION ALL
SELECT created_at, 'task.opened', title || ' (' || type || ', ' || priority || ')',
       created_by, task_id, task_id FROM tasks WHERE account_id = $a
UNION ALL
SELECT escalated_at, 'task.escalated', title || ' to ' || escalated_to, 'pipeline', task_id,
       task_id FROM tasks WHERE account_id = $a AND escalated_at IS NOT NULL
UNION ALL
SELECT completed_at, 'task.completed', title || ': ' || outcome
           || coalesce(' (' || outcome_note || ')', ''), assignee, task_id, task_id
FROM tasks WHERE account_id = $a AND completed_at IS NOT NULL
UNION ALL
SELECT c.created_at, 'task.comment', c.body, c.author, c.task_id, c.comment_id
FROM task_comments c JOIN tasks t USING (task_id) WHERE t.account_id = $a
ORDER BY "at" DESC, kind
LIMIT $limit OFFSET $offset
"""


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # playbook.fired | task.opened | task.escalated | task.completed | task.comment
    text: str
    who: str | None
    task_id: str | None
    ref: str  # the firing, task or comment id


def account_items(
    con: duckdb.DuckDBPyConnection, account_id: str, *, limit: int = 100, offset: int = 0
) -> list[TimelineItem]:
    """Newest first, paged."""
    rows = con.execute(_SQL, {"a": account_id, "limit": limit, "offset": offset}).fetchall()
    return [TimelineItem(*r) for r in rows]
