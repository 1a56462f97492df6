"""MRR and ARR over time, and the MRR bridge: where each period's change came from.

Definitions (docs/metrics.md has them with formulas):

* A subscription is active on day ``d`` when ``start_date <= d`` and (``end_date`` is null or
  ``d < end_date``). An account's MRR on ``d`` is the sum of its active subscriptions' MRR
  in the reporting currency. A *customer* (logo) on ``d`` is an account whose MRR is > 0.
* A period is measured at its *opening* (the day before it starts) and its *closing* (its
  last day, or the as-of day). Movements are classified per account by comparing the two,
  so an upgrade and a downgrade inside one period net out, and
  ``opening + new + expansion - contraction - churned + reactivated = closing`` holds
  exactly for every account, hence for every total.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from outsidein.analytics.backend import MONEY, Sources
from outsidein.analytics.currency import check_currencies, priced_subscriptions
from outsidein.analytics.periods import (
    Grain,
    Period,
    check_grain,
    day_number,
    periods,
    periods_table,
)
from outsidein.settings.analytics import AnalyticsConfig

MOVEMENTS = ("new", "expansion", "contraction", "churned", "reactivated")


def money(value: ir.NumericValue) -> ir.DecimalValue:
    """A money expression in the one money type, so every engine reports the same type."""
    result: ir.DecimalValue = value.cast(MONEY)
    return result


ZERO = ibis.literal(0, MONEY)


def account_mrr_on(subs: ir.Table, days: ir.Table) -> ir.Table:
    """MRR and seats per account on each day of ``days`` (a table with a ``day`` column).

    Only accounts with an active subscription on a day appear for it; a zero-MRR plan
    gives a row with ``mrr = 0``.
    """
    joined = days.join(
        subs,
        [subs.start_day <= days.day, subs.end_day.isnull() | (days.day < subs.end_day)],
    )
    return joined.group_by(["account_id", "day"]).agg(
        mrr=money(joined.mrr.sum()), seats=joined.seats.sum()
    )


def paying_on(subs: ir.Table, day_numbers: list[int]) -> ir.Table:
    """Accounts with MRR > 0 on each of ``day_numbers``: ``account_id, day, mrr``."""
    days = ibis.memtable(pa.table({"day": pa.array(sorted(set(day_numbers)), pa.int64())}))
    per_account = account_mrr_on(subs, days)
    return per_account.filter(per_account.mrr > 0).select("account_id", "day", "mrr")


def first_paid(subs: ir.Table) -> ir.Table:
    """Each account's first day with MRR > 0: ``account_id, first_paid_day, first_paid_date``."""
    paid = subs.filter((subs.mrr > 0) & (subs.end_day.isnull() | (subs.end_day > subs.start_day)))
    return paid.group_by("account_id").agg(
        first_paid_day=paid.start_day.min(), first_paid_date=paid.start_date.min()
    )


def priced(sources: Sources, config: AnalyticsConfig) -> ir.Table:
    """Subscriptions in the reporting currency, after checking every currency has a rate."""
    check_currencies(sources, config)
    return priced_subscriptions(sources, config)


def account_mrr(sources: Sources, config: AnalyticsConfig, as_of: date) -> ir.Table:
    """Each account's MRR, ARR and seats on ``as_of``, in the reporting currency.

    The one per-account definition every page, API response and CLI output shows; summed
    over accounts it is :func:`mrr_series`'s closing MRR for the same day, to the cent.
    Accounts with no active subscription on ``as_of`` have no row.
    """
    days = ibis.memtable(pa.table({"day": pa.array([day_number(as_of)], pa.int64())}))
    per_account = account_mrr_on(priced(sources, config), days)
    return per_account.select(
        "account_id", mrr=per_account.mrr, arr=money(per_account.mrr * 12), seats="seats"
    )


def mrr_series(
    sources: Sources, config: AnalyticsConfig, first: date, last: date, grain: str = "month"
) -> ir.Table:
    """MRR, ARR and paying customers at the closing day of each period from first to last."""
    items = periods(first, last, check_grain(grain))
    table = periods_table(items)
    per_account = account_mrr_on(priced(sources, config), table.select(day=table.closing_day))
    totals = per_account.group_by("day").agg(
        mrr=money(per_account.mrr.sum()),
        customers=per_account.account_id.count(where=per_account.mrr > 0),
    )
    joined = table.left_join(totals, table.closing_day == totals.day)
    mrr = money(joined.mrr.coalesce(ZERO))
    return joined.select(
        "period_start",
        "closing_date",
        mrr=mrr,
        arr=money(mrr * 12),
        customers=joined.customers.coalesce(0).cast(dt.int64),
        partial=joined.partial,
    ).order_by("period_start")


def account_movements(
    sources: Sources, config: AnalyticsConfig, first: date, last: date, grain: str = "month"
) -> ir.Table:
    """Per account and period: opening and closing MRR and the movement between them.

    Accounts with no MRR at either end of a period have no row for it.
    """
    subs = priced(sources, config)
    items = periods(first, last, check_grain(grain))
    return _movements(subs, items)


def _movements(subs: ir.Table, items: list[Period]) -> ir.Table:
    table = periods_table(items)
    boundaries = [day_number(p.opening) for p in items] + [day_number(p.closing) for p in items]
    paying = paying_on(subs, boundaries)
    opening = table.join(paying, table.opening_day == paying.day).select(
        "account_id", "period_index", opening_mrr=paying.mrr, closing_mrr=ZERO
    )
    closing = table.join(paying, table.closing_day == paying.day).select(
        "account_id", "period_index", opening_mrr=ZERO, closing_mrr=paying.mrr
    )
    both = opening.union(closing)
    ends = both.group_by(["account_id", "period_index"]).agg(
        opening_mrr=money(both.opening_mrr.sum()), closing_mrr=money(both.closing_mrr.sum())
    )
    joined = ends.join(table, "period_index").left_join(first_paid(subs), "account_id")
    start, end = joined.opening_mrr, joined.closing_mrr
    movement = ibis.cases(
        ((start == 0) & (joined.first_paid_day >= joined.start_day), "new"),
        (start == 0, "reactivated"),
        (end == 0, "churned"),
        (end > start, "expansion"),
        (end < start, "contraction"),
        else_="unchanged",
    )
    return joined.select(
        "account_id",
        "period_index",
        "period_start",
        "closing_date",
        "opening_mrr",
        "closing_mrr",
        movement=movement,
        change=money(end - start),
    )


def mrr_bridge(
    sources: Sources, config: AnalyticsConfig, first: date, last: date, grain: str = "month"
) -> ir.Table:
    """Per period: opening MRR, the five movements, closing MRR, and the same for logos."""
    checked: Grain = check_grain(grain)
    items = periods(first, last, checked)
    moves = _movements(priced(sources, config), items)
    return bridge_from_movements(moves, periods_table(items))


def bridge_from_movements(moves: ir.Table, table: ir.Table) -> ir.Table:
    """Sum per-account movements into one bridge row per period (periods with none: zeros)."""

    def amount(kind: str) -> ir.DecimalValue:
        value = moves.change.abs() if kind in ("contraction", "churned") else moves.change
        return money(ibis.cases((moves.movement == kind, value), else_=ZERO).sum())

    def logos(kind: str) -> ir.IntegerScalar:
        return moves.account_id.count(where=moves.movement == kind)

    sums = moves.group_by("period_index").agg(
        opening_mrr=money(moves.opening_mrr.sum()),
        **{kind: amount(kind) for kind in MOVEMENTS},
        closing_mrr=money(moves.closing_mrr.sum()),
        opening_customers=moves.account_id.count(where=moves.opening_mrr > 0),
        **{f"{kind}_customers": logos(kind) for kind in ("new", "reactivated", "churned")},
        closing_customers=moves.account_id.count(where=moves.closing_mrr > 0),
    )
    joined = table.left_join(sums, "period_index")
    money_columns = ["opening_mrr", *MOVEMENTS, "closing_mrr"]
    count_columns = [c for c in sums.columns if c.endswith("_customers")]
    return joined.select(
        "period_start",
        "closing_date",
        **{c: money(joined[c].coalesce(ZERO)) for c in money_columns},
        **{c: joined[c].coalesce(0).cast(dt.int64) for c in count_columns},
        partial=joined.partial,
    ).order_by("period_start")
