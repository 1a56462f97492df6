"""The one place a capability plugs into the web app.

A capability adds its JSON router (mounted under ``/api/v1``), its pages router and, if it
has pages people navigate to, a nav entry, as one :class:`Section` in :data:`SECTIONS`. The
app includes the routers in this order and the base layout renders the nav entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

from outsidein.web import assets
from outsidein.web.nav import NavItem
from outsidein.web.routes import (
    accounts,
    accounts_pages,
    admin,
    audit,
    auth_pages,
    config,
    custom_fields,
    health,
    health_pages,
    ingestion_pages,
    jobs,
    loads,
    metrics,
    metrics_pages,
    quality,
    rejects,
    rejects_pages,
    segment,
    status,
    status_pages,
    users,
)


@dataclass(frozen=True)
class Section:
    """A capability's routes and its entry in the header navigation."""

    name: str
    api: APIRouter | None = None
    pages: APIRouter | None = None
    nav: NavItem | None = None


SECTIONS: tuple[Section, ...] = (
    Section(
        "accounts",
        api=accounts.router,
        pages=accounts_pages.router,
        nav=NavItem(
            "Accounts",
            "/accounts",
            reads=("accounts", "contacts", "subscriptions", "events", "account_last_seen"),
        ),
    ),
    Section(
        "metrics",
        api=metrics.router,
        pages=metrics_pages.router,
        nav=NavItem(
            "Metrics",
            "/metrics",
            reads=("accounts", "subscriptions", "events", "account_daily_metrics"),
        ),
    ),
    Section(
        "health",
        api=health.router,
        pages=health_pages.router,
        nav=NavItem(
            "Health",
            "/health",
            reads=("health_scores", "health_contributions", "health_overrides"),
        ),
    ),
    Section("config", api=config.router),
    Section("jobs", api=jobs.router),
    Section("loads", api=loads.router),
    Section("rejects", api=rejects.router, pages=rejects_pages.router),  # linked from Ingestion
    Section("admin", api=admin.router),
    Section("audit", api=audit.router, pages=audit.pages),
    Section("custom_fields", api=custom_fields.router),
    # The Segment API lives at the root (/v1/...), where the clients expect it.
    Section("segment", api=segment.api_router, pages=segment.router),
    Section("ingestion", pages=ingestion_pages.router, nav=NavItem("Ingestion", "/ingestion")),
    Section(
        "quality",
        api=quality.router,
        pages=quality.pages,
        nav=NavItem("Quality", "/quality", reads=("subscriptions", "invoices", "churn_records")),
    ),
    Section(
        "status", api=status.router, pages=status_pages.router, nav=NavItem("Status", "/status")
    ),
    # Users, tokens, who am I; the login page, logout and the liveness probe.
    Section("auth", api=users.router, pages=auth_pages.router),
    # The chart library and the favicon (web/assets.py).
    Section("assets", pages=assets.router),
)
