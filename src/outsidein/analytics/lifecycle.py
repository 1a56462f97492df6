"""Each account's lifecycle status on a day, and the figures the accounts pages show.

Statuses, checked in this order (docs/metrics.md):

* ``prospect`` — no subscription has started by the day;
* ``churned`` — it paid before, and no paid subscription is active on the day;
* ``trial`` — only unpaid (zero-MRR or trialing) subscriptions are active, and it never paid;
* ``renewal`` — paying, and the next renewal of one of its term contracts (longer than a
  month; month-to-month contracts renew every month) falls within ``renewal_days``;
* ``onboarding`` — paying, and its first payment was under ``onboarding_days`` ago;
* ``active`` — paying otherwise.

MRR and ARR come from :func:`account_mrr`, the one per-account definition.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.contracts import next_renewals
from outsidein.analytics.periods import day_number, day_of
from outsidein.analytics.revenue import ZERO, account_mrr, first_paid, money, priced
from outsidein.settings.analytics import AnalyticsConfig

STATUSES = ("prospect", "trial", "onboarding", "active", "renewal", "churned")


def account_status(sources: Sources, config: AnalyticsConfig, as_of: date) -> ir.Table:
    """One row per account: ``account_id, status, mrr, arr, first_paid_date, renewal_date``."""
    today = day_number(as_of)
    subs = priced(sources, config)
    started = (
        subs.filter(subs.start_day <= today).group_by("account_id").agg(started=ibis.literal(True))
    )
    paid = first_paid(subs)
    paid = paid.filter(paid.first_paid_day <= today)
    mrr = account_mrr(sources, config, as_of)
    renewal = next_renewals(sources, config, as_of)
    renewal = (
        renewal.filter(~renewal.month_to_month)
        .group_by("account_id")
        .agg(renewal_date=renewal.renewal_date.min())
    )
    accounts = sources.accounts.select("account_id")
    joined = (
        accounts.left_join(started, "account_id")
        .select("account_id", "started")
        .left_join(paid, "account_id")
        .select("account_id", "started", "first_paid_day", "first_paid_date")
        .left_join(mrr, "account_id")
        .select("account_id", "started", "first_paid_day", "first_paid_date", "mrr", "arr")
        .left_join(renewal, "account_id")
        .select(
            "account_id", "started", "first_paid_day", "first_paid_date", "mrr", "arr",
            "renewal_date",
        )
    )  # fmt: skip
    now = money(joined.mrr.coalesce(ZERO))
    paying = now > 0
    renewal_day = day_of(joined.renewal_date) - today
    status = ibis.cases(
        (joined.started.isnull(), "prospect"),
        (~paying & joined.first_paid_day.notnull(), "churned"),
        (~paying, "trial"),
        (renewal_day.notnull() & (renewal_day <= config.renewal_days), "renewal"),
        (today - joined.first_paid_day < config.onboarding_days, "onboarding"),
        else_="active",
    )
    return joined.select(
        "account_id",
        status=status,
        mrr=now,
        arr=money(joined.arr.coalesce(ZERO)),
        first_paid_date=joined.first_paid_date,
        renewal_date=joined.renewal_date.cast(dt.date),
    )
