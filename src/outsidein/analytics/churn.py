"""Churn as the CRM records it, beside the revenue truth.

MRR-based churn (:func:`outsidein.analytics.retention.churn_rates`) stays the measure. The
CRM's churn records (``churn_records``: date, type, reason, feedback, refund) and its
account-level ``churned`` flag add the *why*:

* :func:`churn_reasons`: churned accounts, MRR lost and refunds per period, segment, reason
  and type; the MRR lost is the account's MRR (:func:`account_mrr_on`) the day before
  the record's date.
* :func:`churn_disagreements`: account by account, where the CRM and the revenue data
  disagree on ``as_of``: the CRM says churned while subscriptions still bill, revenue
  stopped with no churn record or flag, or the two dates are over a month apart.
"""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from outsidein.analytics.backend import Sources
from outsidein.analytics.errors import AnalyticsError
from outsidein.analytics.periods import day_number, day_of
from outsidein.analytics.revenue import account_mrr_on, money, priced
from outsidein.settings.analytics import AnalyticsConfig

__all__ = ["BY", "DATE_GAP_DAYS", "churn_disagreements", "churn_reasons", "churn_records"]

BY = ("segment", "region", "industry", "csm_id")
GRAINS = {"month": "M", "quarter": "Q", "year": "Y"}
DATE_GAP_DAYS = 31
UNSPECIFIED = "(unspecified)"
ZERO = ibis.literal(0, dt.Decimal(18, 2))


def churn_records(sources: Sources) -> ir.Table:
    """The store's churn records of the accounts in ``sources`` (it may be narrowed)."""
    records = sources.backend.table("churn_records")
    return records.semi_join(sources.accounts.select("account_id"), "account_id")


def churn_reasons(
    sources: Sources,
    config: AnalyticsConfig,
    first: date,
    last: date,
    *,
    grain: str = "quarter",
    by: str = "segment",
) -> ir.Table:
    """Per period (``month``, ``quarter``, ``year``), ``by`` value (segment, region,
    industry, csm_id), reason and type: churned accounts, MRR lost and refunds, from the
    churn records dated ``first`` to ``last``; downgrades keep their accounts and count in
    ``accounts`` like the rest (filter by ``type``)."""
    if grain not in GRAINS:
        raise AnalyticsError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    if by not in BY:
        raise AnalyticsError(f"by must be one of {', '.join(BY)}, not {by!r}")
    if last < first:
        raise AnalyticsError(f"the range ends ({last}) before it starts ({first})")
    records = churn_records(sources)
    records = records.filter(records.churned_at >= first, records.churned_at <= last)
    records = records.select(
        "account_id",
        "churned_at",
        reason=_label(records.reason),
        type=_label(records["type"]),
        refund=records.refund.coalesce(ZERO),
        day=day_of(records.churned_at) - 1,
    )
    days = records.select("day").distinct()
    mrr = account_mrr_on(priced(sources, config), days).select("account_id", "day", "mrr")
    rows = records.left_join(mrr, ["account_id", "day"])
    groups = sources.accounts.select("account_id", group=_label(sources.accounts[by]))
    rows = rows.left_join(groups, rows.account_id == groups.account_id)
    rows = rows.select(
        period_start=rows.churned_at.truncate(GRAINS[grain]).cast(dt.date),
        group=rows.group.coalesce(UNSPECIFIED),
        reason=rows.reason,
        type=rows.type,
        account_id=rows.account_id,
        mrr=rows.mrr.coalesce(ZERO),
        refund=rows.refund,
    )
    out = rows.group_by(["period_start", "group", "reason", "type"]).agg(
        accounts=rows.account_id.nunique().cast(dt.int64),
        records=rows.count().cast(dt.int64),
        mrr_lost=money(rows.mrr.sum()),
        refunds=money(rows.refund.sum()),
    )
    return out.rename({by: "group"}).order_by(
        ["period_start", by, ibis.desc("accounts"), "reason", "type"]
    )


def churn_disagreements(sources: Sources, config: AnalyticsConfig, as_of: date) -> ir.Table:
    """Accounts on which the CRM and revenue disagree on ``as_of``, with what each says.

    ``kind``: ``crm_only`` (a churn record or the churned flag, but MRR on ``as_of``),
    ``revenue_only`` (a paying customer once, no MRR now, and neither a record nor the
    flag), ``dates_differ`` (both churned, the record over :data:`DATE_GAP_DAYS` days from
    the last subscription's end).
    """
    subs = priced(sources, config)
    records = churn_records(sources)
    records = records.filter(
        records.churned_at <= as_of, records["type"].isnull() | (records["type"] != "downgrade")
    )
    crm = records.group_by("account_id").agg(crm_churned_at=records.churned_at.max())
    today = ibis.memtable(pa.table({"day": pa.array([day_number(as_of)], pa.int64())}))
    now = account_mrr_on(subs, today)
    now = now.filter(now.mrr > 0).select("account_id", mrr_now=now.mrr)
    started = subs.filter(subs.start_day <= day_number(as_of), subs.mrr > 0)
    ever = started.group_by("account_id").agg(
        revenue_ended_at=ibis.ifelse(
            started.end_date.isnull().any(), ibis.null(dt.date), started.end_date.max()
        ),
        was_customer=ibis.literal(True),
    )
    accounts = sources.accounts.select("account_id", "name")
    flag = sources.backend.table("accounts").select("account_id", "churned")
    t = (
        accounts.left_join(flag, "account_id")
        .select("account_id", "name", crm_flag=ibis._.churned.coalesce(False))
        .left_join(crm, "account_id")
        .select("account_id", "name", "crm_flag", "crm_churned_at")
        .left_join(now, "account_id")
        .select("account_id", "name", "crm_flag", "crm_churned_at", "mrr_now")
        .left_join(ever, "account_id")
        .select(
            "account_id",
            "name",
            "crm_flag",
            "crm_churned_at",
            "mrr_now",
            "revenue_ended_at",
            was_customer=ibis._.was_customer.coalesce(False),
        )
    )
    crm_says = t.crm_flag | t.crm_churned_at.notnull()
    revenue_says = t.was_customer & t.mrr_now.isnull()
    gap = (t.crm_churned_at.epoch_days() - t.revenue_ended_at.epoch_days()).abs()
    kind = ibis.cases(
        (crm_says & t.mrr_now.notnull(), "crm_only"),
        (revenue_says & ~crm_says, "revenue_only"),
        (revenue_says & t.crm_churned_at.notnull() & (gap > DATE_GAP_DAYS), "dates_differ"),
        else_=ibis.null(dt.string),
    )
    out = t.select(
        "account_id",
        "name",
        kind=kind,
        crm_flag=t.crm_flag,
        crm_churned_at=t.crm_churned_at,
        revenue_ended_at=t.revenue_ended_at,
        mrr=money(t.mrr_now.coalesce(ZERO)),
    )
    return out.filter(out.kind.notnull()).order_by(["kind", "account_id"])


def _label(value: ir.StringValue) -> ir.StringValue:
    """A reason, type or segment as reported: trimmed, '(unspecified)' when empty."""
    text = value.cast(dt.string).strip()
    label: ir.StringValue = ibis.ifelse(
        text.isnull() | (text == ""), ibis.literal(UNSPECIFIED), text
    )
    return label
