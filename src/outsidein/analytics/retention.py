"""Revenue retention (NRR, GRR), churn rates with annual scaling, and cohort matrices.

* NRR and GRR over the trailing 12 months, measured at each month's closing day ``d``:
  the *base* is every account paying on ``b`` = the same day a year earlier (a month's last
  day maps to that month's last day). ``NRR = Σ MRR_d / Σ MRR_b`` and
  ``GRR = Σ min(MRR_d, MRR_b) / Σ MRR_b`` over the base accounts only, so new customers
  never count and GRR can never exceed 100%.
* Churn rates per period come from the bridge: ``logo churn = churned customers / opening
  customers``, ``gross revenue churn = (churned + contraction) / opening MRR``,
  ``net revenue churn = (churned + contraction - expansion) / opening MRR``. A rate ``r``
  per period scales to a year as ``1 - (1 - r) ** n`` with n periods a year (12 months).
* Cohorts group accounts by the month of their first paid day; each cell is measured at the
  closing day of the cohort month plus ``age`` months, against the cohort month's close.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from outsidein.analytics.backend import Sources
from outsidein.analytics.periods import (
    PERIODS_PER_YEAR,
    check_grain,
    day_number,
    one_year_before,
    periods,
    periods_table,
)
from outsidein.analytics.revenue import ZERO, first_paid, money, paying_on, priced
from outsidein.settings.analytics import AnalyticsConfig


def ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """``numerator / denominator`` as a double; null (never an error) when it is 0."""
    result: ir.FloatingValue = numerator.cast(dt.float64) / denominator.cast(dt.float64).nullif(0.0)
    return result


def revenue_retention(
    sources: Sources, config: AnalyticsConfig, first: date, last: date
) -> ir.Table:
    """Trailing-12-month NRR and GRR at the closing day of every month from first to last."""
    items = periods(first, last, "month")
    bases = [one_year_before(p.closing) for p in items]
    table = ibis.memtable(
        pa.table(
            {
                "period_index": pa.array([p.index for p in items], pa.int64()),
                "month": pa.array([p.start for p in items], pa.date32()),
                "closing_date": pa.array([p.closing for p in items], pa.date32()),
                "base_date": pa.array(bases, pa.date32()),
                "closing_day": pa.array([day_number(p.closing) for p in items], pa.int64()),
                "base_day": pa.array([day_number(b) for b in bases], pa.int64()),
            }
        )
    )
    paying = paying_on(
        priced(sources, config),
        [day_number(p.closing) for p in items] + [day_number(b) for b in bases],
    )
    base = table.join(paying, table.base_day == paying.day).select(
        "period_index", "account_id", base_mrr=paying.mrr
    )
    now = table.join(paying, table.closing_day == paying.day).select(
        "period_index", "account_id", mrr=paying.mrr
    )
    joined = base.left_join(now, ["period_index", "account_id"])
    current = money(joined.mrr.coalesce(ZERO))
    sums = joined.group_by("period_index").agg(
        base_accounts=joined.account_id.count(),
        retained_accounts=joined.account_id.count(where=current > 0),
        base_mrr=money(joined.base_mrr.sum()),
        net_mrr=money(current.sum()),
        gross_mrr=money(ibis.least(current, joined.base_mrr).sum()),
    )
    out = table.left_join(sums, "period_index")
    return out.select(
        "month",
        "closing_date",
        "base_date",
        base_accounts=out.base_accounts.coalesce(0).cast(dt.int64),
        retained_accounts=out.retained_accounts.coalesce(0).cast(dt.int64),
        base_mrr=money(out.base_mrr.coalesce(ZERO)),
        net_mrr=money(out.net_mrr.coalesce(ZERO)),
        gross_mrr=money(out.gross_mrr.coalesce(ZERO)),
        nrr=ratio(out.net_mrr, out.base_mrr),
        grr=ratio(out.gross_mrr, out.base_mrr),
    ).order_by("month")


def annualised(rate: ir.FloatingValue, periods_per_year: int) -> ir.FloatingValue:
    """A per-period churn rate compounded over a year: ``1 - (1 - rate) ** n``."""
    result: ir.FloatingValue = 1.0 - (1.0 - rate) ** periods_per_year
    return result


def churn_rates(bridge: ir.Table, grain: str = "month") -> ir.Table:
    """Logo and revenue churn per period from an MRR bridge, each with its annual scaling.

    A ``partial`` period (the running month) keeps its rates to date but no annual scaling:
    compounding a few days' churn over a year would be a guess, not a measure.
    """
    per_year = PERIODS_PER_YEAR[check_grain(grain)]

    def yearly(rate: ir.FloatingValue) -> ir.FloatingValue:
        result: ir.FloatingValue = ibis.cases(
            (bridge.partial, ibis.null(dt.float64)), else_=annualised(rate, per_year)
        )
        return result

    logo = ratio(bridge.churned_customers, bridge.opening_customers)
    gross = ratio(bridge.churned + bridge.contraction, bridge.opening_mrr)
    net = ratio(bridge.churned + bridge.contraction - bridge.expansion, bridge.opening_mrr)
    return bridge.select(
        "period_start",
        "closing_date",
        "opening_customers",
        "churned_customers",
        "opening_mrr",
        "churned",
        "contraction",
        "expansion",
        logo_churn_rate=logo,
        gross_revenue_churn_rate=gross,
        net_revenue_churn_rate=net,
        annual_logo_churn_rate=yearly(logo),
        annual_gross_revenue_churn_rate=yearly(gross),
        annual_net_revenue_churn_rate=yearly(net),
        partial=bridge.partial,
    )


def cohort_retention(
    sources: Sources, config: AnalyticsConfig, first: date, last: date
) -> ir.Table:
    """Cohorts by first paid month (first..last), one row per cohort and age in months.

    ``accounts`` is the cohort's size; ``retained_accounts`` those paying at the cell's
    closing day. ``start_mrr`` is the cohort's MRR at the close of its first month;
    ``net_mrr`` its MRR at the cell's close, ``gross_mrr`` the same capped per account at
    its starting MRR. ``nrr``/``grr`` divide them by ``start_mrr``.
    """
    subs = priced(sources, config)
    items = periods(first, last, "month")
    table = periods_table(items)
    starts = first_paid(subs)
    members = starts.join(
        table,
        [starts.first_paid_day >= table.start_day, starts.first_paid_day <= table.closing_day],
    ).select(
        "account_id",
        cohort_index=table.period_index,
        cohort_month=table.period_start,
        cohort_closing_day=table.closing_day,
    )
    later = table.view()
    cells = members.join(later, members.cohort_index <= later.period_index).select(
        "account_id",
        "cohort_index",
        "cohort_month",
        "cohort_closing_day",
        age=later.period_index - members.cohort_index,
        closing_day=later.closing_day,
    )
    paying = paying_on(subs, [day_number(p.closing) for p in items])
    start_mrr = paying.select("account_id", cohort_closing_day="day", start_mrr="mrr")
    now_mrr = paying.select("account_id", closing_day="day", now_mrr="mrr")
    with_start = cells.left_join(start_mrr, ["account_id", "cohort_closing_day"]).select(
        *cells.columns, "start_mrr"
    )
    joined = with_start.left_join(now_mrr, ["account_id", "closing_day"]).select(
        *with_start.columns, "now_mrr"
    )
    begin = money(joined.start_mrr.coalesce(ZERO))
    now = money(joined.now_mrr.coalesce(ZERO))
    sums = joined.group_by(["cohort_month", "age"]).agg(
        accounts=joined.account_id.count(),
        retained_accounts=joined.account_id.count(where=now > 0),
        start_mrr=money(begin.sum()),
        net_mrr=money(now.sum()),
        gross_mrr=money(ibis.least(now, begin).sum()),
    )
    return sums.select(
        "cohort_month",
        age=sums.age.cast(dt.int64),
        accounts=sums.accounts.cast(dt.int64),
        retained_accounts=sums.retained_accounts.cast(dt.int64),
        logo_retention=ratio(sums.retained_accounts, sums.accounts),
        start_mrr=sums.start_mrr,
        net_mrr=sums.net_mrr,
        gross_mrr=sums.gross_mrr,
        nrr=ratio(sums.net_mrr, sums.start_mrr),
        grr=ratio(sums.gross_mrr, sums.start_mrr),
    ).order_by(["cohort_month", "age"])
