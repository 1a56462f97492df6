"""Playbooks, firings, tasks and teams as the API returns and takes them (docs/playbooks.md,
docs/tasks.md): read from outsidein.playbooks and outsidein.tasks."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, Field

from outsidein.playbooks.engine import RunResult
from outsidein.playbooks.firings import Firing, FiringPage, PlaybookSummary
from outsidein.playbooks.versions import PlaybookVersion
from outsidein.settings.playbooks import Playbook
from outsidein.tasks.service import Comment, Task, TaskPage
from outsidein.tasks.teams import Team
from outsidein.web.params import IsoDatetime
from outsidein.web.schemas.types import UtcDatetime as Utc


class PlaybookRow(BaseModel):
    name: str
    description: str
    enabled: bool
    trigger: str = Field(description="The trigger's kind")
    version: int | None = Field(description="The current version (None before its first run)")
    firings_recent: int = Field(description="Firings in the last 30 days")
    held_out_recent: int
    open_tasks: int
    last_fired: Utc | None

    @classmethod
    def of(cls, s: PlaybookSummary) -> PlaybookRow:
        return cls(**asdict(s))


class PlaybookList(BaseModel):
    config_version: int | None
    playbooks: list[PlaybookRow]


class VersionOut(BaseModel):
    version: int
    config_version: int | None
    definition: dict[str, Any] | None = Field(description="None: removed in this version")
    origin: str | None
    created_at: Utc

    @classmethod
    def of(cls, v: PlaybookVersion) -> VersionOut:
        return cls(version=v.version, config_version=v.config_version, definition=v.definition,
                   origin=v.origin, created_at=v.created_at)  # fmt: skip


class PlaybookOut(BaseModel):
    name: str
    playbook: Playbook | None = Field(description="The definition in force (None: removed)")
    versions: list[VersionOut]


class FiringOut(BaseModel):
    firing_id: str
    account_id: str
    account_name: str | None
    playbook: str
    playbook_version: int
    variant: str
    reason: str
    context: dict[str, Any]
    held_out: bool = Field(description="In the holdout: recorded, no action taken")
    actions: int
    fired_at: Utc

    @classmethod
    def of(cls, f: Firing) -> FiringOut:
        return cls(**asdict(f))


class FiringList(BaseModel):
    total: int
    page: int
    page_size: int
    firings: list[FiringOut]

    @classmethod
    def of(cls, p: FiringPage) -> FiringList:
        return cls(total=p.total, page=p.page, page_size=p.page_size,
                   firings=[FiringOut.of(f) for f in p.items])  # fmt: skip


class RunOut(BaseModel):
    queued: bool = Field(description="True: the server's step evaluates every account next")
    result: dict[str, Any] | None = None

    @classmethod
    def of(cls, r: RunResult) -> RunOut:
        return cls(queued=False, result=asdict(r))


class CommentOut(BaseModel):
    comment_id: str
    author: str
    body: str
    created_at: Utc

    @classmethod
    def of(cls, c: Comment) -> CommentOut:
        return cls(comment_id=c.comment_id, author=c.author, body=c.body, created_at=c.created_at)


class TaskOut(BaseModel):
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
    sla: str = Field(description="done, overdue, due_soon (within a day) or on_track")
    snoozed: bool
    assignee: str | None
    team: str | None
    queue: str | None
    due_at: Utc
    snoozed_until: Utc | None
    steps: list[str]
    context: dict[str, Any]
    outcome: str | None
    outcome_note: str | None
    escalated_at: Utc | None
    escalated_to: str | None
    created_by: str
    created_at: Utc
    updated_at: Utc
    completed_at: Utc | None
    comments: list[CommentOut]

    @classmethod
    def of(cls, t: Task) -> TaskOut:
        data = {k: v for k, v in t.__dict__.items() if k != "comments"}
        return cls(**data, snoozed=t.snoozed, comments=[CommentOut.of(c) for c in t.comments])


class TaskList(BaseModel):
    total: int
    overdue: int = Field(description="Of the matching tasks, how many are open past due")
    page: int
    page_size: int
    tasks: list[TaskOut]

    @classmethod
    def of(cls, p: TaskPage) -> TaskList:
        return cls(total=p.total, overdue=p.overdue, page=p.page, page_size=p.page_size,
                   tasks=[TaskOut.of(t) for t in p.items])  # fmt: skip


class TaskIn(BaseModel):
    account_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    type: Literal["risk", "opportunity", "lifecycle", "activity"] = "activity"
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    due_at: IsoDatetime | None = None
    assignee: str | None = Field(None, min_length=1, max_length=100)
    steps: list[str] = Field(default_factory=list, max_length=50)


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=100)


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=5000)


class SnoozeIn(BaseModel):
    until: IsoDatetime


class CompleteIn(BaseModel):
    outcome: Literal["resolved", "partly_resolved", "not_resolved", "not_needed"]
    note: str | None = Field(None, max_length=5000)


class TeamIn(BaseModel):
    members: list[str] = Field(max_length=200, description="CSM ids, in round-robin order")
    lead: str | None = Field(None, max_length=100, description="Escalations go to the lead")


class TeamOut(BaseModel):
    name: str
    lead: str | None
    members: list[str]
    next_index: int
    updated_at: Utc

    @classmethod
    def of(cls, t: Team) -> TeamOut:
        return cls(**asdict(t))
