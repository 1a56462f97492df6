"""Metric reports as the API shows them: the scope, and rows whose shape each report declares.

Rows are the columns of the report's Arrow table (``columns`` lists them in order): money an
exact decimal string, ratios numbers (null where the denominator is zero), dates ISO days.
Definitions of every column: docs/metrics.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from outsidein.web.schemas.types import Money

Ratio = float | None
Day = date  # for the rows whose column is called ``date``


class _Row(BaseModel):
    """A report row: exactly these columns (a new column must be declared here)."""

    model_config = ConfigDict(extra="forbid")


class MrrRow(_Row):
    period_start: date
    closing_date: date = Field(description="The last day of the period inside the range")
    mrr: Money
    arr: Money
    customers: int
    partial: bool = Field(description="The period is cut by as_of")


class BridgeRow(_Row):
    period_start: date
    closing_date: date
    opening_mrr: Money
    new: Money
    expansion: Money
    contraction: Money
    churned: Money
    reactivated: Money
    closing_mrr: Money
    opening_customers: int
    new_customers: int
    reactivated_customers: int
    churned_customers: int
    closing_customers: int
    partial: bool


class RetentionRow(_Row):
    month: date
    closing_date: date
    base_date: date = Field(description="Twelve months before closing_date")
    base_accounts: int
    retained_accounts: int
    base_mrr: Money
    net_mrr: Money
    gross_mrr: Money
    nrr: Ratio
    grr: Ratio
    logo_churn_rate: Ratio
    gross_revenue_churn_rate: Ratio
    net_revenue_churn_rate: Ratio
    annual_logo_churn_rate: Ratio
    annual_gross_revenue_churn_rate: Ratio
    annual_net_revenue_churn_rate: Ratio
    partial: bool


class CohortRow(_Row):
    cohort_month: date
    age: int = Field(description="Months since the cohort month")
    accounts: int
    retained_accounts: int
    logo_retention: Ratio
    start_mrr: Money
    net_mrr: Money
    gross_mrr: Money
    nrr: Ratio
    grr: Ratio


class RenewalRow(_Row):
    contract_id: str
    account_id: str
    account_name: str | None
    csm_id: str | None
    billing_period: str
    term_months: int
    month_to_month: bool
    auto_renew: bool | None
    cancellation_reason: str | None
    term_start: date
    renewal_date: date
    days_left: int
    subscriptions: int
    currency: str = Field(description="The contract's own currency (of mrr_original)")
    mrr_original: Money
    mrr: Money
    arr: Money


_WINDOWED_COUNTS = r"^(active_users|events|key_features_used|events_prev)_[0-9]+$"
_WINDOWED_RATIOS = r"^(events_per_active_user|breadth|stickiness|events_trend)_[0-9]+$"


def _windowed(schema: dict[str, Any]) -> None:
    """The columns of each configured window N (``analytics.usage_windows``), by pattern."""
    schema["patternProperties"] = {
        _WINDOWED_COUNTS: {"type": "integer"},
        _WINDOWED_RATIOS: {"anyOf": [{"type": "number"}, {"type": "null"}]},
    }
    schema["additionalProperties"] = False


class UsageRow(_Row):
    """Fixed columns, and per window N of ``analytics.usage_windows``: active_users_N,
    events_N, events_per_active_user_N, key_features_used_N, breadth_N, stickiness_N,
    events_prev_N and events_trend_N."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_windowed)

    account_id: str
    account_name: str | None
    date: Day
    mrr: Money
    seats_bought: int | None
    seats_used: int
    seat_utilization: Ratio
    last_activity_date: Day | None
    days_since_last_activity: int | None
    first_value_date: Day | None
    time_to_first_value_days: int | None


class FeatureRow(_Row):
    account_id: str
    feature: str
    events: int
    users: int


class TrendRow(_Row):
    date: Day
    active_accounts: int
    active_users_28: int
    events_7: int
    avg_stickiness_28: Ratio


RowT = TypeVar("RowT", bound=BaseModel)


class MetricTable(BaseModel, Generic[RowT]):
    """One report: its rows, with the scope it was computed for."""

    report: str
    first: date
    as_of: date
    data_last_day: date | None = Field(
        description="The latest event, touchpoint, case or invoice day in the store."
    )
    notice: str | None = Field(
        description="Set when as_of defaulted to the data's last day instead of today."
    )
    filters: dict[str, str] = Field(description="The account filters in effect.")
    currency: str = Field(description="Reporting currency of every money column.")
    columns: list[str]
    types: dict[str, str] = Field(
        description="Each column's Arrow type (decimal128(18, 2), date32[day], int64, ...): "
        "how to read its JSON values back, as `outsidein` commands do beside a server."
    )
    rows: list[RowT]
    total_rows: int = Field(description="Rows the report has; `rows` holds at most `limit`.")
    offset: int
    limit: int
    next_offset: int | None = Field(description="The offset of the next page, if any.")


class AtStakeRow(_Row):
    contracts: int = Field(description="Contracts the renewals calendar lists")
    arr: Money = Field(description="Their ARR, in the reporting currency")


class AtStakeTable(MetricTable[AtStakeRow]):
    """The renewals' total: the contracts and the ARR at stake."""


class MrrTable(MetricTable[MrrRow]):
    """MRR, ARR and paying customers per period."""


class BridgeTable(MetricTable[BridgeRow]):
    """The MRR bridge per period."""


class RetentionTable(MetricTable[RetentionRow]):
    """Trailing-12-month retention and churn rates per month."""


class CohortTable(MetricTable[CohortRow]):
    """Cohort retention: one row per cohort and age."""


class RenewalTable(MetricTable[RenewalRow]):
    """Contracts renewing soon."""


class UsageTable(MetricTable[UsageRow]):
    """Usage per account on as_of."""


class FeatureTable(MetricTable[FeatureRow]):
    """Events and users per account and feature."""


class TrendTable(MetricTable[TrendRow]):
    """Company-wide daily usage."""


__all__ = [
    "BridgeTable",
    "CohortTable",
    "FeatureTable",
    "MetricTable",
    "MrrTable",
    "RenewalTable",
    "RetentionTable",
    "TrendTable",
    "UsageTable",
]
