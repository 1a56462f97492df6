"""Contracts in force and their next renewal date: the terms subscription rows belong to.

Definitions (docs/metrics.md has them with examples):

* A contract's *k*-th renewal is ``term_start + k * term_months`` months (k >= 1), a day
  missing from a short month falling on its last day. Its *next renewal* after ``as_of`` is
  the first of those dates later than ``as_of``. Only the contract decides: a mid-term
  change (a new subscription row on the same contract) leaves the dates where they were.
* A contract is *in force* on ``as_of`` when one of its subscriptions is active that day;
  its MRR is the sum of those subscriptions' MRR in the reporting currency (the one
  conversion, :func:`outsidein.analytics.revenue.priced`) and its ARR twelve times that.
* A subscription without ``contract_id`` is its own contract: evergreen monthly from its
  start date, with its subscription id. A contract of one month is *month-to-month*.

Month arithmetic runs on integers (``year * 12 + month - 1``) and ``ibis.date``, which mean
the same on DuckDB and Spark.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.periods import day_number, day_of
from outsidein.analytics.revenue import money, priced
from outsidein.settings.analytics import AnalyticsConfig

MONTH_TO_MONTH = 1  # term_months of an evergreen monthly contract


def contract_terms(sources: Sources) -> ir.Table:
    """Every contract: the loaded ones, and one evergreen monthly contract per subscription
    that names none (the fallback of docs/data-model.md)."""
    subs = sources.subscriptions
    own = subs.filter(subs.contract_id.isnull())
    implied = own.select(
        contract_id=own.subscription_id,
        account_id=own.account_id,
        term_start=own.start_date,
        term_months=ibis.literal(MONTH_TO_MONTH, dt.int64),
        billing_period=ibis.literal("monthly", dt.string),
        auto_renew=ibis.literal(True, dt.boolean),
        cancellation_reason=ibis.null(dt.string),
    )
    return sources.contracts.union(implied)


def renewal_after(
    term_start: ir.DateValue, term_months: ir.IntegerValue, as_of: date
) -> ir.DateValue:
    """The first ``term_start + k * term_months`` months (k >= 1) later than ``as_of``.

    Adding months to a date keeps its day, or the month's last day when the month is shorter
    (DuckDB and Spark both); written with intervals the SQL stays small (nested month
    arithmetic made ~150 KB of SQL, seconds to plan; tests/analytics/test_renewal_after.py).
    """
    start = term_start.year().cast(dt.int64) * 12 + term_start.month().cast(dt.int64) - 1
    elapsed = ibis.greatest(as_of.year * 12 + as_of.month - 1 - start, 0)
    whole = elapsed // term_months  # whole terms from the start's month to as_of's month
    candidate = term_start + (whole * term_months).as_interval("M")
    terms = ibis.cases(((whole >= 1) & (candidate > as_of), whole), else_=whole + 1)
    return (term_start + (terms * term_months).as_interval("M")).cast(dt.date)


def next_renewals(sources: Sources, config: AnalyticsConfig, as_of: date) -> ir.Table:
    """One row per contract in force on ``as_of``: its terms, next renewal date and ARR.

    Columns: ``contract_id, account_id, account_name, csm_id, billing_period, term_months,
    month_to_month, auto_renew, cancellation_reason, term_start, renewal_date, days_left,
    subscriptions, currency, mrr_original, mrr, arr``. ``currency`` and ``mrr_original`` are
    the subscriptions' own currency and MRR when they share one currency, else null.
    """
    today = day_number(as_of)
    subs = priced(sources, config)
    active = subs.filter(
        subs.start_day <= today, subs.end_day.isnull() | (subs.end_day > today)
    ).mutate(contract_id=subs.contract_id.coalesce(subs.subscription_id))
    code = active.currency.upper()
    one_currency = code.nunique() == 1
    in_force = active.group_by("contract_id").agg(
        subscriptions=active.count(),
        currency=ibis.cases((one_currency, code.max()), else_=ibis.null(dt.string)),
        mrr_original=ibis.cases(
            (one_currency, money(active.mrr_original.sum())), else_=ibis.null(dt.Decimal(18, 2))
        ),
        mrr=money(active.mrr.sum()),
    )
    terms = contract_terms(sources)
    joined = terms.join(in_force, "contract_id")
    renewal = renewal_after(joined.term_start, joined.term_months, as_of)
    dated = joined.mutate(renewal_date=renewal, renewal_day=day_of(renewal))
    accounts = sources.accounts.select("account_id", account_name="name", csm_id="csm_id")
    full = dated.left_join(accounts, "account_id")
    return full.select(
        "contract_id",
        "account_id",
        "account_name",
        "csm_id",
        "billing_period",
        "term_months",
        month_to_month=full.term_months == MONTH_TO_MONTH,
        auto_renew=full.auto_renew,
        cancellation_reason=full.cancellation_reason,
        term_start=full.term_start,
        renewal_date=full.renewal_date,
        days_left=(full.renewal_day - today).cast(dt.int64),
        subscriptions=full.subscriptions.cast(dt.int64),
        currency=full.currency,
        mrr_original=full.mrr_original,
        mrr=full.mrr,
        arr=money(full.mrr * 12),
    )
