"""The renewals calendar: term contracts renewing in the next N days, with the ARR at stake.

A contract is listed when it is in force on ``as_of`` and its next renewal date (from the
contract, :mod:`outsidein.analytics.contracts`) falls in ``as_of < renewal_date <= as_of +
N days``. Month-to-month contracts renew every month; they are listed only when asked
(``include_monthly``). The ARR at stake is the contract's ARR in the reporting currency.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.contracts import next_renewals
from outsidein.analytics.errors import AnalyticsError
from outsidein.analytics.revenue import ZERO, money
from outsidein.settings.analytics import AnalyticsConfig


def renewals(
    sources: Sources,
    config: AnalyticsConfig,
    as_of: date,
    days: int | None = None,
    include_monthly: bool = False,
) -> ir.Table:
    """Contracts renewing within ``days`` (default: ``renewal_days``) after ``as_of``."""
    horizon = config.renewal_days if days is None else days
    if horizon < 1:
        raise AnalyticsError(f"days must be 1 or more, not {horizon}")
    due = next_renewals(sources, config, as_of)
    due = due.filter(due.days_left <= horizon)
    if not include_monthly:
        due = due.filter(~due.month_to_month)
    return due.order_by(["renewal_date", "account_id", "contract_id"])


def arr_at_stake(
    sources: Sources,
    config: AnalyticsConfig,
    as_of: date,
    days: int | None = None,
    include_monthly: bool = False,
) -> ir.Table:
    """One row: how many contracts :func:`renewals` lists and the sum of their ARR."""
    due = renewals(sources, config, as_of, days, include_monthly)
    totals = due.aggregate(contracts=due.count(), arr=money(due.arr.sum()))
    return totals.select(contracts=totals.contracts, arr=money(totals.arr.coalesce(ZERO)))
