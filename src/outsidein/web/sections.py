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
    assistant_pages,
    audit,
    auth_pages,
    clv,
    clv_pages,
    config,
    custom_fields,
    health,
    health_pages,
    identity,
    identity_contacts,
    identity_pages,
    impact,
    impact_pages,
    ingestion_pages,
    jobs,
    journey,
    journey_pages,
    journey_state,
    journey_state_pages,
    loads,
    metrics,
    metrics_pages,
    myday,
    myday_pages,
    outbox,
    outbox_pages,
    outcome_catalog,
    outcome_surveys,
    outcomes,
    outcomes_pages,
    plans,
    plans_pages,
    playbooks,
    predict,
    predict_pages,
    quality,
    rejects,
    rejects_pages,
    segment,
    segments,
    segments_pages,
    status,
    status_pages,
    survey_form,
    survey_responses,
    tasks,
    tasks_pages,
    team,
    team_pages,
    tiers,
    tiers_pages,
    timeline,
    timeline_pages,
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
    # A CSM's home page (the landing page after signing in for a CSM: web/app.py).
    Section(
        "my_day",
        api=myday.router,
        pages=myday_pages.router,
        nav=NavItem(
            "My day",
            "/my-day",
            reads=("health_scores", "account_daily_metrics", "survey_responses", "cases"),
        ),
    ),
    Section(
        "accounts",
        api=accounts.router,
        pages=accounts_pages.router,
        nav=NavItem(
            "Accounts",
            "/accounts",
            reads=("accounts", "contacts", "subscriptions", "events", "account_last_seen"),
            group="Customers",
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
            group="Insights",
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
            group="Customers",
        ),
    ),
    Section(
        "segments",
        api=segments.router,
        pages=segments_pages.router,
        nav=NavItem(
            "Segments",
            "/segments",
            reads=("segment_membership", "segment_versions"),
            group="Customers",
        ),
    ),
    Section(
        "journey",
        api=journey.router,
        pages=journey_pages.router,
        nav=NavItem(
            "Journey",
            "/journey",
            reads=("touchpoints", "case_assignments", "survey_responses"),
            group="Insights",
        ),
    ),
    Section("journey_state", api=journey_state.router, pages=journey_state_pages.router),
    Section(
        "tiers",
        api=tiers.router,
        pages=tiers_pages.router,
        nav=NavItem("Tiers", "/tiers", reads=("account_tiers",), group="Customers"),
    ),
    Section(
        "clv",
        api=clv.router,
        pages=clv_pages.router,
        nav=NavItem("CLV", "/clv", reads=("clv_scores", "clv_fits"), group="Insights"),
    ),
    Section(
        "advocates",
        nav=NavItem("Advocates", "/advocates", reads=("health_scores",), group="Customers"),
    ),
    Section(
        "tasks",
        api=tasks.router,
        pages=tasks_pages.router,  # /tasks and /playbooks
        nav=NavItem("Tasks", "/tasks", reads=("tasks", "playbook_firings"), group="Action"),
    ),
    Section(
        "playbooks", api=playbooks.router, nav=NavItem("Playbooks", "/playbooks", group="Action")
    ),
    Section(
        "outbox",
        api=outbox.router,
        pages=outbox_pages.router,
        nav=NavItem(
            "Outbox", "/outbox", reads=("outbox_messages", "outbox_deliveries"), group="Action"
        ),
    ),
    Section(
        "team",
        api=team.router,
        pages=team_pages.router,
        nav=NavItem(
            "Team", "/team", reads=("csms", "accounts", "tasks", "health_scores"), group="Action"
        ),
    ),
    Section(
        "plans",
        api=plans.router,
        pages=plans_pages.router,
        nav=NavItem(
            "Plans",
            "/plans",
            reads=("success_plans", "account_daily_metrics", "survey_responses"),
            group="Action",
        ),
    ),
    Section("firings", api=playbooks.runs_router),  # /firings, /playbook-runs
    Section(
        "impact",
        api=impact.router,
        pages=impact_pages.router,
        nav=NavItem(
            "Impact",
            "/impact",
            reads=("playbook_firings", "account_daily_metrics"),
            group="Insights",
        ),
    ),
    Section("teams", api=tasks.teams_router),
    # One timeline per account (on the account page) and the answers surveys send.
    Section("timeline", api=timeline.router, pages=timeline_pages.router),
    Section("survey_responses", api=survey_responses.router),
    Section("config", api=config.router),
    # before "jobs": /api/v1/jobs/opportunities is not the long-work job of that (hex) id
    Section(
        "outcomes",
        api=outcomes.router,
        pages=outcomes_pages.router,
        nav=NavItem("Outcomes", "/outcomes", reads=("survey_responses",), group="Insights"),
    ),
    # Surveys, their links and the catalog's editing (before "jobs" too); /s/{token}: the
    # public survey form, the one page without signing in (docs/security.md).
    Section("outcome_surveys", api=outcome_surveys.router, pages=survey_form.router),
    Section("outcome_catalog", api=outcome_catalog.router, pages=outcome_catalog.pages),
    Section("jobs", api=jobs.router),
    Section("loads", api=loads.router),
    Section("assistant", pages=assistant_pages.router),  # linked from Ingestion
    Section("rejects", api=rejects.router, pages=rejects_pages.router),  # linked from Ingestion
    Section("admin", api=admin.router),
    Section("audit", api=audit.router, pages=audit.pages),
    Section("custom_fields", api=custom_fields.router),
    # The Segment API lives at the root (/v1/...), where the clients expect it.
    Section("segment", api=segment.api_router, pages=segment.router),
    Section(
        "ingestion",
        pages=ingestion_pages.router,
        nav=NavItem("Ingestion", "/ingestion", group="Data"),
    ),
    Section(
        "identity",
        api=identity.router,
        pages=identity_pages.router,
        nav=NavItem(
            "Identity",
            "/identity",
            reads=("accounts", "external_ids", "contacts"),
            group="Data",
        ),
    ),
    Section("identity_contacts", api=identity_contacts.router),  # /identity/contacts
    Section(
        "quality",
        api=quality.router,
        pages=quality.pages,
        nav=NavItem(
            "Quality",
            "/quality",
            reads=("subscriptions", "invoices", "churn_records"),
            group="Data",
        ),
    ),
    Section(
        "status",
        api=status.router,
        pages=status_pages.router,
        nav=NavItem("Status", "/status", group="Data"),
    ),
    # Users, tokens, who am I; the login page, logout and the liveness probe.
    Section("auth", api=users.router, pages=auth_pages.router),
    Section(
        "predict",
        api=predict.router,
        pages=predict_pages.router,
        nav=NavItem(
            "Predictions",
            "/predictions",
            reads=("predictions", "predict_models"),
            group="Customers",
        ),
    ),
    # The chart library and the favicon (web/assets.py).
    Section("assets", pages=assets.router),
)
