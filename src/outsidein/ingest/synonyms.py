"""What real exports call the canonical columns: the assistant's vocabulary.

Names are compared normalised (:func:`outsidein.ingest.inspect.normalise`: ``CloseDate`` ->
``close_date``). ``id`` (and ``record_id``, ``object_id``) is the kind's own key; ``customer``,
``company``, ``organization`` and ``group`` ids are the account's. Content rules apply to a
column whose name says nothing: an email column of contacts is ``email``, and so on.
"""

from __future__ import annotations

from outsidein.store.tables import Table

__all__ = ["CONTENT_TARGETS", "VALUE_SYNONYMS", "name_targets"]

_KEY_WORDS = ("id", "record_id", "object_id", "hs_object_id", "uuid", "number")

# canonical column -> names exports use for it (normalised), in every kind that has it
_COMMON: dict[str, tuple[str, ...]] = {
    "account_id": (
        "account",
        "customer",
        "customer_id",
        "company_id",
        "organization_id",
        "org_id",
        "organisation_id",
        "group_id",
        "group_0",
        "associatedcompanyid",
        "associated_company_id",
        "client_id",
        "tenant_id",
        "workspace_id",
    ),
    "contact_id": ("requester_id", "contact", "person_id", "customer_contact_id"),
    "subscription_id": ("subscription",),
    "contract_id": ("contract", "opportunity_id"),
    "created_at": (
        "created",
        "create_date",
        "createdate",
        "created_date",
        "created_utc",
        "created_on",
        "signup_date",
        "date_created",
    ),
    "name": ("company_name", "account_name", "customer_name", "organization_name", "full_name"),
    "email": ("email_address", "e_mail", "mail"),
    "title": ("job_title", "jobtitle", "position"),
    "employees": ("number_of_employees", "employee_count", "headcount", "num_employees"),
    "region": ("country", "country_region", "billing_country", "geo", "territory"),
    "segment": ("tier", "customer_tier", "customer_segment"),
    "csm_id": (
        "owner",
        "owner_id",
        "company_owner",
        "account_owner",
        "contact_owner",
        "hubspot_owner_id",
        "csm",
        "customer_success_manager",
    ),
    "parent_account_id": ("parent_id", "parent_company_id", "parent_account", "parent"),
    "plan": ("plan_id", "plan_name", "product", "product_name", "price_id", "plan_nickname"),
    "mrr": ("plan_amount", "monthly_amount", "monthly_recurring_revenue", "unit_amount"),
    "seats": ("quantity", "licenses", "licences", "users_purchased"),
    "start_date": ("start", "started_at", "started", "subscription_start", "begin_date"),
    "end_date": ("ended_at", "end", "ended", "canceled_at", "cancelled_at", "cancel_date"),
    "currency": ("currency_iso_code", "currency_code", "plan_currency"),
    "issued_at": ("invoice_date", "issue_date", "issued", "date"),
    "due_at": ("due_date", "due", "payment_due"),
    "paid_at": ("status_transitions_paid_at", "paid_date", "payment_date", "paid"),
    "message_id": ("insert_id", "event_id", "uuid", "messageid"),
    "user_id": ("distinct_id", "userid", "user"),
    "event": ("event_type", "event_name", "action"),
    "timestamp": ("event_time", "time", "occurred_at", "ts", "event_timestamp"),
    "properties": ("event_properties", "props"),
    "opened_at": ("created", "created_at", "opened", "create_date", "created_date"),
    "closed_at": ("solved_at", "closed", "resolved_at", "closed_date"),
    "term_start": ("close_date", "start_date", "contract_start", "contract_start_date"),
    "term_months": ("term", "contract_term", "term_length", "contract_term_months"),
    "billing_period": ("billing_frequency", "interval", "billing_interval", "plan_interval"),
    "auto_renew": ("autorenew", "auto_renewal", "renews_automatically"),
    "cancellation_reason": ("cancel_reason", "churn_reason"),
    "subject": ("title", "summary"),
    "note": ("notes", "description", "comment"),
    "comment": ("feedback", "comments", "verbatim"),
    "answered_at": ("submitted_at", "response_date", "responded_at"),
    "score": ("rating", "nps", "csat"),
}
# kind -> canonical column -> extra names in that kind only
_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "invoices": {
        "amount": ("amount_due", "total", "invoice_total", "amount_total"),
        "issued_at": ("created", "created_at", "create_date"),
    },
    "subscriptions": {"mrr": ("amount", "price")},
    "cases": {"priority": ("urgency", "severity")},
}

# (kind, inferred content) -> targets to try, in order, for a column whose name says nothing
CONTENT_TARGETS: dict[tuple[str, str], tuple[str, ...]] = {
    ("contacts", "email"): ("email",),
    ("csms", "email"): ("email",),
    ("accounts", "timestamp"): ("created_at",),
    ("accounts", "date"): ("created_at",),
    ("contacts", "timestamp"): ("created_at",),
    ("subscriptions", "date"): ("start_date", "end_date"),
    ("subscriptions", "number"): ("mrr",),
    ("invoices", "timestamp"): ("issued_at", "paid_at"),
    ("invoices", "date"): ("issued_at", "due_at", "paid_at"),
    ("invoices", "number"): ("amount",),
    ("events", "timestamp"): ("timestamp",),
    ("events", "epoch"): ("timestamp",),
    ("cases", "timestamp"): ("opened_at",),
    ("contracts", "date"): ("term_start",),
    ("survey_responses", "timestamp"): ("answered_at",),
}

# canonical column -> file value (normalised) -> stored value
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {
        "new": "open",
        "hold": "pending",
        "on_hold": "pending",
        "waiting": "pending",
        "resolved": "solved",
        "trial": "trialing",
        "in_trial": "trialing",
        "canceled": "ended",
        "cancelled": "ended",
        "expired": "ended",
        "past_due": "active",
        "unpaid": "active",
        "paused": "active",
        "incomplete": "trialing",
        "incomplete_expired": "ended",
        "live": "active",
    },
    "priority": {
        "medium": "normal",
        "critical": "urgent",
        "p1": "urgent",
        "p2": "high",
        "p3": "normal",
        "p4": "low",
    },
    "billing_period": {
        "month": "monthly",
        "year": "annual",
        "yearly": "annual",
        "quarter": "quarterly",
        "annually": "annual",
    },
    "role": {"executive": "executive_sponsor", "sponsor": "executive_sponsor"},
}


def name_targets(table: Table, name: str) -> list[tuple[str, int]]:
    """Targets of ``table`` a column called ``name`` (normalised) may be: (target, rank),
    rank 0 for the canonical name or the kind's key, 1 + its place among a target's
    synonyms otherwise (``ended_at`` is a closer end date than ``canceled_at``)."""
    columns = set(table.column_names)
    found: list[tuple[str, int]] = []
    if name in columns:
        found.append((name, 0))
    key_word = table.key.removesuffix("_id")
    if name in _KEY_WORDS or name == key_word or name == f"{key_word}_number":
        found.append((table.key, 0))
    for target, names in (*_BY_KIND.get(table.name, {}).items(), *_COMMON.items()):
        if target in columns and name in names:
            found.append((target, 1 + names.index(name)))
    return found
