"""The renewals calendar: subscriptions that end in the next N days, with their ARR.

A subscription's ``end_date`` is its first day no longer active, so it is the renewal
date. A subscription is listed when ``as_of < end_date <= as_of + N days``; one that
ended on or before ``as_of`` is already churned or renewed and is not.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.errors import AnalyticsError
from outsidein.analytics.periods import day_number
from outsidein.analytics.revenue import money, priced
from outsidein.settings.analytics import AnalyticsConfig


def renewals(
    sources: Sources, config: AnalyticsConfig, as_of: date, days: int | None = None
) -> ir.Table:
    """Subscriptions ending within ``days`` (default: ``renewal_days``) after ``as_of``."""
    horizon = config.renewal_days if days is None else days
    if horizon < 1:
        raise AnalyticsError(f"days must be 1 or more, not {horizon}")
    today = day_number(as_of)
    subs = priced(sources, config)
    due = subs.filter(subs.end_day > today, subs.end_day <= today + horizon)
    accounts = sources.accounts.select("account_id", account_name="name", csm_id="csm_id")
    joined = due.left_join(accounts, "account_id")
    return joined.select(
        renewal_date=joined.end_date,
        days_left=(joined.end_day - today).cast(dt.int64),
        account_id=joined.account_id,
        account_name=joined.account_name,
        csm_id=joined.csm_id,
        subscription_id=joined.subscription_id,
        plan=joined.plan,
        currency=joined.currency,
        mrr_original=joined.mrr_original,
        mrr=joined.mrr,
        arr=money(joined.mrr * 12),
    ).order_by(["renewal_date", "account_id", "subscription_id"])


def next_renewals(sources: Sources, config: AnalyticsConfig, as_of: date) -> ir.Table:
    """Every renewal still ahead on ``as_of``: ``account_id, renewal_date`` (no horizon)."""
    subs = priced(sources, config)
    ahead = subs.filter(subs.end_day > day_number(as_of))
    return ahead.select("account_id", renewal_date=ahead.end_date)
