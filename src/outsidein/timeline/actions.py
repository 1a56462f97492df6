"""The timeline sources of what Outside-In did and decided: playbook firings, tasks and their
comments, emails and webhooks sent, segments entered and left.

Each is SQL over that capability's own tables (``playbook_firings``, ``tasks``,
``task_comments``, ``outbox_messages``, ``segment_membership``), so the whole story of an
account is one thread: the answer, the firing it caused, the task, its comments, the touch
sent, and how the account moved.
"""

from __future__ import annotations

from outsidein.timeline.builtin import words
from outsidein.timeline.registry import TimelineSource, register_source

__all__ = ["FIRINGS", "SEGMENTS", "TASKS", "TOUCHES"]

FIRINGS = TimelineSource(
    "playbooks",
    ("playbook_fired",),
    """SELECT account_id, fired_at AS "at", 'playbook_fired' AS kind,
        'Playbook ' || playbook || CASE WHEN held_out THEN ' held out (no action)'
                                        ELSE ' fired' END AS title,
        reason AS detail, 'playbook ' || playbook AS actor,
        '/playbooks/' || playbook AS link
    FROM playbook_firings""",
)

_TASK = "t.title || ' (' || " + words("t.type") + " || ', ' || " + words("t.priority") + " || ')'"
TASKS = TimelineSource(
    "tasks",
    ("task_opened", "task_escalated", "task_completed", "task_comment"),
    f"""SELECT t.account_id, t.created_at AS "at", 'task_opened' AS kind,
        'Task opened: ' || {_TASK} AS title, 'Owner: ' || coalesce(t.assignee, 'unassigned')
        AS detail, t.created_by AS actor, '/tasks/' || t.task_id AS link
    FROM tasks t
    UNION ALL
    SELECT t.account_id, t.escalated_at, 'task_escalated', 'Task escalated: ' || t.title,
        'To ' || t.escalated_to, 'pipeline', '/tasks/' || t.task_id
    FROM tasks t WHERE t.escalated_at IS NOT NULL
    UNION ALL
    SELECT t.account_id, t.completed_at, 'task_completed',
        'Task completed: ' || t.title || ' (' || {words("t.outcome")} || ')',
        t.outcome_note, t.assignee, '/tasks/' || t.task_id
    FROM tasks t WHERE t.completed_at IS NOT NULL
    UNION ALL
    SELECT t.account_id, c.created_at, 'task_comment', 'Comment on: ' || t.title, c.body,
        c.author, '/tasks/' || t.task_id
    FROM task_comments c JOIN tasks t USING (task_id)""",
)

TOUCHES = TimelineSource(
    "outbox",
    ("email", "webhook"),
    f"""SELECT account_id, coalesce(sent_at, created_at) AS "at", channel AS kind,
        CASE channel WHEN 'email' THEN 'Email ' ELSE 'Webhook ' END
          || CASE status WHEN 'sent' THEN 'sent' WHEN 'queued' THEN 'queued'
                         WHEN 'dead' THEN 'failed' ELSE {words("status")} END
          || ': ' || coalesce(subject, template) AS title,
        concat_ws(' · ', recipient, held, last_error) AS detail,
        replace(source, 'playbook:', 'playbook ') AS actor,
        '/outbox?status=' || status AS link
    FROM outbox_messages""",
)

SEGMENTS = TimelineSource(
    "segments",
    ("segment_entered", "segment_left"),
    """WITH named AS (
        SELECT segment_id, arg_max(name, version) AS name FROM segment_versions GROUP BY ALL
    )
    SELECT m.account_id, m.entered_at AS "at", 'segment_entered' AS kind,
        'Entered segment ' || n.name AS title, NULL::VARCHAR AS detail,
        NULL::VARCHAR AS actor, '/segments/' || m.segment_id AS link
    FROM segment_membership m JOIN named n USING (segment_id)
    UNION ALL
    SELECT m.account_id, m.left_at, 'segment_left', 'Left segment ' || n.name, NULL, NULL,
        '/segments/' || m.segment_id
    FROM segment_membership m JOIN named n USING (segment_id) WHERE m.left_at IS NOT NULL""",
)

for _found in (FIRINGS, TASKS, TOUCHES, SEGMENTS):
    register_source(_found)
