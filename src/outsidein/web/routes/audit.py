"""``GET /api/v1/audit`` and the ``/audit`` page: the audit log, newest first, filtered.

An administrator's view (docs/operations.md): once users and roles exist, only admins may
read it. Filters: ``action`` (a name or its prefix, ``key`` for every key action), ``actor``,
``target``, ``since``/``until`` (UTC days, inclusive), paged by ``limit``/``offset``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.auth.roles import Role
from outsidein.store import audit
from outsidein.web.access import requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import IsoDate
from outsidein.web.schemas.audit import AuditEntryOut, AuditPageOut
from outsidein.web.templating import templates

router = APIRouter(tags=["audit"], dependencies=[requires(Role.ADMIN)])
pages = APIRouter(include_in_schema=False, dependencies=[requires(Role.ADMIN)])


@dataclass(frozen=True)
class AuditFilters:
    """The query of both the API and the page."""

    action: Annotated[str | None, Query(max_length=100, description="e.g. key, backup")] = None
    actor: Annotated[str | None, Query(max_length=200)] = None
    target: Annotated[str | None, Query(max_length=1000)] = None
    since: Annotated[IsoDate | None, Query(description="From this day (UTC), inclusive")] = None
    until: Annotated[IsoDate | None, Query(description="Up to this day (UTC), inclusive")] = None
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 50
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0

    def page(self, cur: CursorDep) -> audit.AuditPage:
        return audit.read(
            cur,
            action=self.action or None,
            actor=self.actor or None,
            target=self.target or None,
            since=_start(self.since),
            until=_start(self.until + timedelta(days=1)) if self.until else None,
            limit=self.limit,
            offset=self.offset,
        )


def _start(day: date | None) -> datetime | None:
    """The first instant of ``day`` as the store keeps times: naive UTC."""
    return None if day is None else datetime.combine(day, time())


FiltersDep = Annotated[AuditFilters, Depends()]


@router.get("/audit", response_model=AuditPageOut, summary="The audit log, newest first")
def get_audit(cur: CursorDep, filters: FiltersDep) -> AuditPageOut:
    found = filters.page(cur)
    return AuditPageOut(
        entries=[AuditEntryOut.model_validate(e) for e in found.entries],
        total=found.total,
        offset=found.offset,
        limit=found.limit,
        next_offset=found.next_offset,
    )


@pages.get("/audit", response_class=HTMLResponse, name="audit_page")
def audit_page(request: Request, cur: CursorDep, filters: FiltersDep) -> Response:
    found = filters.page(cur)
    return templates.TemplateResponse(
        request, "audit.html", {"page": found, "f": filters, "actions": audit.ACTIONS}
    )
