"""Accounts as the API shows them: list rows, and one account with its records.

Money is a ``Decimal`` and leaves as an exact decimal string (``"31969.08"``), like every
money value of the API; ``mrr``/``arr`` are in the reporting currency (``currency``), and a
subscription's own-currency amount is ``mrr_original`` beside its ``currency``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from outsidein.web.schemas.custom_fields import CustomFieldValue
from outsidein.web.schemas.provenance import FieldSource
from outsidein.web.schemas.types import Money, UtcDatetime

Status = Field(
    description="Lifecycle status on as_of: prospect, trial, onboarding, active, renewal or "
    "churned (docs/metrics.md)."
)


class AccountSummary(BaseModel):
    """One row of the accounts list, with the figures people sort by."""

    account_id: str
    name: str
    industry: str | None
    segment: str | None
    region: str | None
    csm_id: str | None
    csm_name: str | None
    created_at: UtcDatetime
    status: str = Status
    mrr: Money = Field(description="MRR on as_of, in the reporting currency.")
    arr: Money = Field(description="ARR on as_of (12 x MRR), in the reporting currency.")
    renewal_date: date | None = Field(description="Next renewal after as_of.")
    open_cases: int = Field(description="Cases with status open or pending.")
    last_seen: UtcDatetime | None = Field(description="Latest product event.")


class AccountList(BaseModel):
    """One page of accounts; ``total`` and ``mrr_total`` cover every match, not just this page."""

    items: list[AccountSummary]
    total: int
    mrr_total: Money = Field(description="Sum of MRR of every matching account.")
    currency: str = Field(description="The reporting currency of every money value.")
    as_of: date = Field(description="The day the figures are about.")
    notice: str | None = Field(
        description="Set when as_of defaulted to the data's last day instead of today."
    )
    filters: dict[str, str] = Field(description="The filters in effect.")
    page: int
    page_size: int


class CurrencyAmount(BaseModel):
    """An amount in one currency, as the subscriptions are priced."""

    currency: str
    mrr: Money


class Account(BaseModel):
    """An account's profile."""

    account_id: str
    name: str
    parent_account_id: str | None
    parent_name: str | None
    industry: str | None
    segment: str | None
    region: str | None
    employees: int | None
    csm_id: str | None
    csm_name: str | None
    created_at: UtcDatetime
    status: str = Status
    mrr: Money = Field(description="MRR on as_of, in the reporting currency.")
    arr: Money = Field(description="ARR on as_of, in the reporting currency.")
    first_paid_date: date | None
    renewal_date: date | None = Field(description="Next renewal after as_of.")
    open_cases: int
    source: str
    loaded_at: UtcDatetime


class Contact(BaseModel):
    contact_id: str
    name: str | None
    email: str | None
    role: str | None
    title: str | None
    created_at: UtcDatetime | None


class Subscription(BaseModel):
    subscription_id: str
    plan: str
    mrr: Money = Field(description="MRR in the reporting currency.")
    mrr_original: Money = Field(description="MRR in the subscription's own currency.")
    currency: str = Field(description="The subscription's own currency.")
    seats: int | None
    start_date: date
    end_date: date | None
    status: str


class Invoice(BaseModel):
    invoice_id: str
    subscription_id: str | None
    amount: Money
    currency: str
    issued_at: UtcDatetime
    due_at: UtcDatetime | None
    paid_at: UtcDatetime | None


class Touchpoint(BaseModel):
    touchpoint_id: str
    contact_id: str | None
    at: UtcDatetime
    channel: str
    function: str
    stage: str | None
    outcome: str
    handed_to: str | None
    note: str | None


class Case(BaseModel):
    case_id: str
    contact_id: str | None
    opened_at: UtcDatetime
    closed_at: UtcDatetime | None
    priority: str
    sla_hours: float | None
    status: str
    functions: str | None
    subject: str | None


class SurveyResponse(BaseModel):
    response_id: str
    contact_id: str | None
    survey: str
    answered_at: UtcDatetime
    kind: str
    score: float | None
    outcome_id: str | None
    outcome_statement: str | None = Field(
        None, description="The desired-outcome statement the answer rates."
    )
    nps_category: str | None = Field(
        None, description="For an NPS answer: promoter (9-10), passive (7-8) or detractor (0-6)."
    )
    importance: int | None
    satisfaction: int | None
    comment: str | None


class EventCount(BaseModel):
    """One event name's use in the window (:func:`outsidein.analytics.feature_counts`)."""

    event: str
    count: int = Field(description="Events of this name.")
    users: int = Field(description="Distinct users who sent it.")


class UsageSummary(BaseModel):
    """The account's usage on one day of the daily snapshot (docs/metrics.md: the same
    figures as its usage chart), and when it was last seen at all."""

    day: date | None = Field(
        description="The snapshot day of the figures: as_of, or the snapshot's last day "
        "when it ends earlier; null when the snapshot has no row of the account then."
    )
    active_users_7: int | None = Field(description="Distinct users with an event in 7 days.")
    active_users_28: int | None = Field(
        description="Distinct users with an event in 28 days (the seats used)."
    )
    events_28: int | None = Field(description="Events in 28 days.")
    key_features_used_28: int | None = Field(description="Key features used in 28 days.")
    notice: str | None = Field(None, description="Why there are no figures, when there are none.")
    last_seen: UtcDatetime | None
    top_events_28: list[EventCount] = Field(
        description="The five event names sent most in the 28 days ending day."
    )


class UsagePoint(BaseModel):
    """One day of an account's row in the daily snapshot (docs/metrics.md)."""

    date: date
    active_users_7: int = Field(description="Distinct users with an event in 7 days.")
    active_users_28: int = Field(description="Distinct users with an event in 28 days.")
    key_features_used_28: int = Field(description="Key features used in 28 days.")
    breadth_28: float | None = Field(
        description="key_features_used_28 / the number of key features (null when none)."
    )
    seats_used: int = Field(description="active_users_28.")
    seats_bought: int | None = Field(
        description="Seats of the subscriptions running that day (null when none has seats)."
    )
    seat_utilization: float | None = Field(description="seats_used / seats_bought.")


class AccountUsage(BaseModel):
    """An account's usage per day from the stored daily snapshot, oldest first."""

    account_id: str
    as_of: date = Field(description="The day the figures are about.")
    notice: str | None
    first: date = Field(
        description="The first day asked for (as_of - days + 1, or later "
        "when the snapshot starts later)."
    )
    last: date = Field(description="The last day: as_of, or the snapshot's last day.")
    key_features: list[str] = Field(description="The key features counted (analytics settings).")
    points: list[UsagePoint] = Field(
        description="One per day the account existed in the range (at most 3,660)."
    )


class AccountDetail(BaseModel):
    """One account with its records; long histories are cut to the most recent rows."""

    account: Account
    source_label: str = Field(
        "", description="The account's source as people read it: a file's name, a write key's."
    )
    currency: str = Field(description="The reporting currency of mrr and arr.")
    as_of: date = Field(description="The day the figures are about.")
    notice: str | None
    mrr_by_currency: list[CurrencyAmount] = Field(
        description="The account's MRR on as_of in the currencies it is priced in."
    )
    counts: dict[str, int] = Field(
        description="Rows each section has in all; a section lists one page of them."
    )
    pages: dict[str, int] = Field(description="The page of each section listed.")
    page_size: int = Field(description="Rows per page of each section.")
    contacts: list[Contact]
    subscriptions: list[Subscription]
    invoices: list[Invoice]
    touchpoints: list[Touchpoint]
    cases: list[Case]
    survey_responses: list[SurveyResponse]
    usage: UsageSummary
    field_sources: dict[str, FieldSource] = Field(
        default_factory=dict,
        description="Per profile field holding a value: the source that set it, and when.",
    )
    custom_fields: list[CustomFieldValue] = Field(
        default_factory=list,
        description="What loaded files had with no canonical home, typed, with their file.",
    )
