"""The canonical data model as data: each loadable table's columns, types and rules.

Loaders derive their validation from these specs; a test checks that they agree with the
tables the migrations create, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "int", "decimal", "double", "date", "timestamp", "json", "bool"]

FUNCTIONS = ("sales", "marketing", "onboarding", "support", "success", "billing", "product")
# Who started a touchpoint: the customer (inbound) or the vendor (outbound).
DIRECTIONS = ("inbound", "outbound")
CONTACT_ROLES = ("champion", "executive_sponsor", "admin", "user")
# How often a contract is invoiced; its term (term_months) is how long it runs before renewal.
BILLING_PERIODS = ("monthly", "quarterly", "annual", "multi_year")
MAX_TERM_MONTHS = 120
# What a CRM's churn record says happened (docs/loading.md, "Churn records").
CHURN_TYPES = ("voluntary", "involuntary", "downgrade", "merger", "other")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table and the rules a value must meet."""

    name: str
    type: ColumnType = "text"
    required: bool = False
    allowed: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    references: str | None = None  # "table.column" the value must exist in
    default: str | None = None  # SQL literal used when the file lacks the column
    no_future: bool = False
    event_time: bool = False  # bounded from store.earliest_event, not store.earliest_date


@dataclass(frozen=True)
class RowRule:
    """A rule across columns: rows where ``sql_violation`` is true are rejected."""

    column: str
    sql_violation: str
    reason: str


@dataclass(frozen=True)
class Table:
    """A canonical table that files can be loaded into."""

    name: str
    key: str
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = field(default=())
    # Facts, never updated: a stored key wins over a reloaded one (events, by message_id).
    append_only: bool = False
    # A file without the key column gets one made from these columns' values (ingest.keys).
    derived_key: tuple[str, ...] = ()
    # A row without an account_id takes its subscription's (aggregated usage by subscription).
    account_from_subscription: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _account_ref(required: bool = True) -> Column:
    return Column("account_id", required=required, references="accounts.account_id")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "csms",
            "csm_id",
            (
                Column("csm_id", required=True),
                Column("name", required=True),
                Column("email"),
                Column("capacity", "int", min_value=0),
            ),
        ),
        Table(
            "accounts",
            "account_id",
            (
                Column("account_id", required=True),
                Column("name", required=True),
                Column("parent_account_id", references="accounts.account_id"),
                Column("industry"),
                Column("segment"),
                Column("region"),
                Column("employees", "int", min_value=0),
                Column("csm_id"),
                Column("created_at", "timestamp", required=True, no_future=True),
                # The CRM's word that the account churned (revenue data may disagree).
                Column("churned", "bool"),
            ),
        ),
        Table(
            "contacts",
            "contact_id",
            (
                Column("contact_id", required=True),
                _account_ref(),
                Column("name"),
                Column("email"),
                Column("role", allowed=CONTACT_ROLES),
                Column("title"),
                Column("created_at", "timestamp", no_future=True),
                Column("timezone"),  # IANA name: quiet hours in the contact's time (outbox)
            ),
            (
                RowRule(
                    "timezone",
                    "timezone IS NOT NULL AND timezone NOT IN "
                    "(SELECT name FROM pg_timezone_names())",
                    "timezone is not an IANA time zone name (e.g. Europe/Paris, America/New_York)",
                ),
            ),
        ),
        Table(
            "contracts",
            "contract_id",
            (
                Column("contract_id", required=True),
                _account_ref(),
                Column("term_start", "date", required=True),
                Column("term_months", "int", required=True, min_value=1, max_value=MAX_TERM_MONTHS),
                Column("billing_period", required=True, allowed=BILLING_PERIODS),
                Column("auto_renew", "bool", default="true"),
                Column("cancellation_reason"),
            ),
            (
                RowRule(
                    "term_months",
                    "(billing_period = 'quarterly' AND term_months < 3)"
                    " OR (billing_period = 'annual' AND term_months < 12)"
                    " OR (billing_period = 'multi_year' AND term_months < 24)",
                    "the term is shorter than one billing period "
                    "(quarterly: 3 months, annual: 12, multi_year: 24)",
                ),
            ),
        ),
        Table(
            "subscriptions",
            "subscription_id",
            (
                Column("subscription_id", required=True),
                _account_ref(),
                Column("plan", required=True),
                Column("mrr", "decimal", required=True, min_value=0),
                Column("currency", default="'USD'"),
                Column("seats", "int", min_value=0),
                Column("start_date", "date", required=True),
                Column("end_date", "date"),
                Column(
                    "status",
                    required=True,
                    allowed=("trialing", "active", "ended", "churned"),
                ),
                # Optional: a subscription without one is its own evergreen monthly contract.
                Column("contract_id", references="contracts.contract_id"),
            ),
            (
                RowRule(
                    "end_date",
                    "end_date IS NOT NULL AND start_date IS NOT NULL AND end_date < start_date",
                    "end_date is before start_date",
                ),
            ),
        ),
        Table(
            "invoices",
            "invoice_id",
            (
                Column("invoice_id", required=True),
                _account_ref(),
                Column("subscription_id", references="subscriptions.subscription_id"),
                Column("amount", "decimal", required=True, min_value=0),
                Column("currency", default="'USD'"),
                Column("issued_at", "timestamp", required=True, no_future=True),
                Column("due_at", "timestamp"),
                Column("paid_at", "timestamp", no_future=True),
            ),
            (
                RowRule(
                    "paid_at",
                    "paid_at IS NOT NULL AND issued_at IS NOT NULL AND paid_at < issued_at",
                    "paid_at is before issued_at",
                ),
            ),
        ),
        Table(
            "events",
            "message_id",
            (
                Column("message_id", required=True),
                _account_ref(),
                Column("user_id", required=True),
                Column("event", required=True),
                Column("timestamp", "timestamp", required=True, no_future=True, event_time=True),
                Column("properties", "json"),
            ),
            append_only=True,
        ),
        Table(
            "usage_daily",
            "usage_id",
            (
                Column("usage_id"),
                Column("account_id", references="accounts.account_id"),
                Column("subscription_id", references="subscriptions.subscription_id"),
                Column("user_id"),  # optional: a row without one counts events, not users
                Column("feature", required=True),
                Column("day", "date", required=True, no_future=True, event_time=True),
                Column("count", "int", required=True, min_value=0),
            ),
            (
                RowRule(
                    "account_id",
                    "account_id IS NULL AND subscription_id IS NULL",
                    "a usage row needs an account_id or a subscription_id",
                ),
            ),
            derived_key=("account_id", "subscription_id", "user_id", "feature", "day"),
            account_from_subscription=True,
        ),
        Table(
            "churn_records",
            "churn_id",
            (
                Column("churn_id"),
                _account_ref(),
                Column("churned_at", "date", required=True),
                Column("type", allowed=CHURN_TYPES),
                Column("reason"),
                Column("feedback"),
                Column("refund", "decimal", min_value=0),
            ),
            derived_key=("account_id", "churned_at"),
        ),
        Table(
            "touchpoints",
            "touchpoint_id",
            (
                Column("touchpoint_id", required=True),
                _account_ref(),
                Column("contact_id"),
                Column("at", "timestamp", required=True, no_future=True),
                Column("channel", required=True),
                Column("function", required=True, allowed=FUNCTIONS),
                Column("stage"),
                Column("outcome", required=True, allowed=("success", "failed", "neutral")),
                Column("handed_to", allowed=FUNCTIONS),
                Column("note"),
                Column("case_id", references="cases.case_id"),
                Column("direction", allowed=DIRECTIONS),
            ),
        ),
        Table(
            "cases",
            "case_id",
            (
                Column("case_id", required=True),
                _account_ref(),
                Column("contact_id"),
                Column("opened_at", "timestamp", required=True, no_future=True),
                Column("closed_at", "timestamp", no_future=True),
                Column("priority", required=True, allowed=("low", "normal", "high", "urgent")),
                Column("sla_hours", "double", min_value=0),
                Column("status", required=True, allowed=("open", "pending", "solved", "closed")),
                Column("functions"),
                Column("subject"),
            ),
            (
                RowRule(
                    "closed_at",
                    "closed_at IS NOT NULL AND opened_at IS NOT NULL AND closed_at < opened_at",
                    "closed_at is before opened_at",
                ),
            ),
        ),
        Table(
            "case_assignments",
            "assignment_id",
            (
                Column("assignment_id"),
                Column("case_id", required=True, references="cases.case_id"),
                _account_ref(),
                Column("function", required=True, allowed=FUNCTIONS),
                Column("owner"),
                Column("assigned_at", "timestamp", required=True, no_future=True),
            ),
            derived_key=("case_id", "assigned_at"),
        ),
        Table(
            "survey_responses",
            "response_id",
            (
                Column("response_id", required=True),
                _account_ref(),
                Column("contact_id"),
                Column("survey", required=True),
                Column("answered_at", "timestamp", required=True, no_future=True),
                Column("kind", required=True, allowed=("nps", "csat", "ces", "outcome")),
                Column("score", "double"),
                Column("outcome_id", references="outcomes.outcome_id"),
                Column("importance", "int", min_value=1, max_value=5),
                Column("satisfaction", "int", min_value=1, max_value=5),
                Column("comment"),
            ),
            (
                RowRule(
                    "score",
                    "kind = 'nps' AND (score IS NULL OR score < 0 OR score > 10)",
                    "an nps score must be 0 to 10",
                ),
                RowRule(
                    "score",
                    "kind = 'csat' AND (score IS NULL OR score < 1 OR score > 5)",
                    "a csat score must be 1 to 5",
                ),
                RowRule(
                    "score",
                    "kind = 'ces' AND (score IS NULL OR score < 1 OR score > 7)",
                    "a ces score must be 1 to 7",
                ),
                RowRule(
                    "outcome_id",
                    "kind = 'outcome' AND (outcome_id IS NULL OR importance IS NULL"
                    " OR satisfaction IS NULL)",
                    "an outcome answer needs outcome_id, importance and satisfaction",
                ),
            ),
        ),
        Table(
            "jobs",
            "job_id",
            (Column("job_id", required=True), Column("name", required=True), Column("description")),
        ),
        Table(
            "job_steps",
            "step_id",
            (
                Column("step_id", required=True),
                Column("job_id", required=True, references="jobs.job_id"),
                Column("name", required=True),
                Column("position", "int", min_value=0),
            ),
        ),
        Table(
            "outcomes",
            "outcome_id",
            (
                Column("outcome_id", required=True),
                Column("job_id", required=True, references="jobs.job_id"),
                Column("step_id", references="job_steps.step_id"),
                Column("statement", required=True),
            ),
        ),
    )
}

# The order a whole company's files load in, so that references resolve.
LOAD_ORDER: tuple[str, ...] = (
    "csms",
    "accounts",
    "contacts",
    "contracts",
    "subscriptions",
    "invoices",
    "jobs",
    "job_steps",
    "outcomes",
    "events",
    "usage_daily",
    "cases",
    "case_assignments",
    "touchpoints",
    "survey_responses",
    "churn_records",
)
