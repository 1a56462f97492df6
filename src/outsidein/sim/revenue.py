"""Systems of record: contracts, subscription rows and the invoices billed against them.

Invoices are issued in advance each billing period of the contract (monthly, quarterly,
yearly, or the whole term up front for multi-year), counted from the contract's term start,
from the window's start on; a row that starts or ends inside a period by a mid-term change
pays its prorated share (an upgrade is billed its share on the day it starts). Unhealthy
customers pay later, and some never pay; late payers get reminders and dunning calls from
billing, which hands them to success. A due date on or after ``as_of`` is left empty:
nothing in the data is dated on or after ``as_of``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outsidein.sim.calendar import NEVER, US_PER_DAY, US_PER_HOUR, add_months, months_between
from outsidein.sim.catalog import BILLING_MONTHS, CONTRACT_KINDS, CURRENCIES, PLANS
from outsidein.sim.journey import BILLING, CH, FAILED, OK, SERVICE, SUCCESS, Touches
from outsidein.sim.streams import stream
from outsidein.sim.world import DRIVERS, SUB_STATUSES, SUB_TRIALING, World
from outsidein.sim.writer import TableSink

I64 = NDArray[np.int64]
CHUNK = 50_000  # subscriptions whose invoices are built at once


def subscription_ids(count: int) -> pa.Array:
    width = max(7, len(str(count)))
    return pa.array([f"SUB-{i + 1:0{width}d}" for i in range(count)], pa.string())


def subscriptions_table(world: World) -> pa.Table:
    """One row per period of unchanged plan, seats and price (see ``world``)."""
    s = world.subs
    acc = s["account"].astype(np.int64)
    co = world.company
    return pa.table(
        {
            "subscription_id": subscription_ids(len(acc)),
            "account_id": co.account_ids.take(pa.array(acc)),
            "plan": pa.array(PLANS).take(pa.array(s["plan"].astype(np.int64))),
            "mrr": pa.array(np.round(s["mrr"].astype(np.float64), 2)).cast(pa.decimal128(18, 2)),
            "currency": pa.array(CURRENCIES).take(pa.array(co.currency[acc])),
            "seats": pa.array(s["seats"].astype(np.int64)).cast(pa.int32()),
            "start_date": pa.array(s["start"].astype(np.int32)).view(pa.date32()),
            "end_date": _dates(s["end"].astype(np.int64)),
            "status": pa.array(SUB_STATUSES).take(pa.array(s["status"].astype(np.int64))),
            "contract_id": _contract_refs(
                s["contract"].astype(np.int64), len(world.contracts["account"])
            ),
        }
    )


def contract_ids(count: int) -> pa.Array:
    width = max(7, len(str(count)))
    return pa.array([f"CTR-{i + 1:0{width}d}" for i in range(count)], pa.string())


REASONS = {  # the reason a customer gives: the first of these drivers that applied
    "budget_cut": "Budget cut",
    "champion_left": "Our champion left",
    "support_incidents": "Too many support problems",
    "low_health": "Not getting enough value",
    "unmet_needs": "Missing capabilities we need",
}
NO_AUTO_RENEW_P = (0.0, 0.1, 0.35)  # by segment: contracts renewed by signature only


def contracts_table(seed: int, world: World) -> pa.Table:
    """One row per contract: its terms; a churned one has auto-renew off and a reason."""
    c = world.contracts
    acc = c["account"].astype(np.int64)
    kind = c["kind"].astype(np.int64)
    count = len(acc)
    churned = c["churn_flags"].astype(np.int64) >= 0
    rng = stream(seed, "contracts")
    policy = rng.random(count) < np.array(NO_AUTO_RENEW_P)[world.company.segment[acc]]
    reasons = np.full(count, None, dtype=object)
    for i in np.flatnonzero(churned):
        flags = int(c["churn_flags"][i])
        named = [d for d in REASONS if flags >> DRIVERS.index(d) & 1]
        reasons[i] = REASONS[named[0]] if named else "No reason given"
    return pa.table(
        {
            "contract_id": contract_ids(count),
            "account_id": world.company.account_ids.take(pa.array(acc)),
            "term_start": pa.array(c["start"].astype(np.int32)).view(pa.date32()),
            "term_months": pa.array(np.array([t for t, _ in CONTRACT_KINDS])[kind], pa.int32()),
            "billing_period": pa.array([b for _, b in CONTRACT_KINDS]).take(pa.array(kind)),
            "auto_renew": pa.array(~(churned | policy)),
            "cancellation_reason": pa.array(reasons, pa.string()),
        }
    )


def _contract_refs(contract: I64, count: int) -> pa.Array:
    """Each row's contract id; a trial has none (its own evergreen contract when loaded)."""
    ids = contract_ids(count).take(pa.array(np.maximum(contract, 0)))
    return pc.if_else(pa.array(contract < 0), pa.scalar(None, pa.string()), ids)


def _dates(days: I64) -> pa.Array:
    open_ended = days >= NEVER
    values = np.where(open_ended, 0, days).astype(np.int32)
    return pa.array(values, mask=open_ended).view(pa.date32())


def billing_months(kind: I64) -> I64:
    """Months between invoices of each contract kind (multi-year: the whole term)."""
    every = [BILLING_MONTHS.get(billing, term) for term, billing in CONTRACT_KINDS]
    return np.asarray(np.array(every, dtype=np.int64)[kind], dtype=np.int64)


def _last_at_or_before(anchor: I64, every: I64, day: I64) -> I64:
    """The largest k with ``anchor + k * every`` months on or before ``day``."""
    k = months_between(anchor, day) // every
    return np.asarray(k - (add_months(anchor, k * every) > day), dtype=np.int64)


def _periods(anchor: I64, every: I64, start: I64, stop: I64, first_day: int) -> tuple[I64, I64]:
    """(row index, k) for the billing periods ``[anchor + k*every, anchor + (k+1)*every)``
    months of each row that are invoiced: the one holding the row's start, when that is in
    the window, and every later one starting before ``stop``."""
    inside = start >= first_day
    before = np.full(len(start), first_day - 1, dtype=np.int64)
    k0 = np.where(
        inside,
        _last_at_or_before(anchor, every, start),
        _last_at_or_before(anchor, every, before) + 1,
    )
    k1 = _last_at_or_before(anchor, every, stop - 1)
    count = np.where(stop > start, np.maximum(k1 - k0 + 1, 0), 0)
    row = np.repeat(np.arange(len(start)), count)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    k = k0[row] + np.arange(len(row)) - first[row]
    return row, k


def invoices(
    seed: int,
    world: World,
    sink: TableSink,
    touches: Touches,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Bill every paid subscription period that starts inside the window."""
    s = world.subs
    co = world.company
    window = world.window
    ids = subscription_ids(len(s["account"]))
    total = len(s["account"])
    for lo in range(0, total, CHUNK):
        rng = stream(seed, "invoices", lo)
        sl = slice(lo, min(lo + CHUNK, total))
        acc = s["account"][sl].astype(np.int64)
        start = s["start"][sl].astype(np.int64)
        end = s["end"][sl].astype(np.int64)
        status = s["status"][sl].astype(np.int64)
        mrr = s["mrr"][sl].astype(np.float64)
        contract = np.maximum(s["contract"][sl].astype(np.int64), 0)
        anchor = world.contracts["start"].astype(np.int64)[contract]
        every = billing_months(world.contracts["kind"].astype(np.int64)[contract])
        stop = np.minimum(end, window.end_day)
        paid = status != SUB_TRIALING
        row, k = _periods(anchor, every, start, np.where(paid, stop, start), window.start_day)
        a = acc[row]
        # the contract's billing period k; a row starting or ending inside it pays its share
        period_start = add_months(anchor[row], k * every[row])
        period_end = add_months(anchor[row], (k + 1) * every[row])
        day = np.maximum(period_start, start[row])
        share = (np.minimum(period_end, end[row]) - day) / (period_end - period_start)
        amount = np.round(mrr[row] * every[row] * share, 2)
        issued = day * US_PER_DAY + 6 * US_PER_HOUR
        terms = np.where(co.segment[a] == 2, 45, 30)
        due = issued + terms * US_PER_DAY
        m = window.month_of(day)
        h = np.nan_to_num(world.health[a, m], nan=0.6)
        median_days = 4 + 35 * (1 - h) ** 2
        delay = np.exp(rng.normal(np.log(median_days), 0.6)) * US_PER_DAY
        never = rng.random(len(row)) < 0.01 + 0.25 * (1 - h) ** 3
        paid_at = np.where(never, -1, issued + delay.astype(np.int64))
        paid_at = np.where(paid_at >= window.end_us, -1, paid_at)
        sink.write(
            {
                "account_id": co.account_ids.take(pa.array(a)),
                "subscription_id": ids.take(pa.array(lo + row)),
                "amount": amount,
                "currency": pa.array(CURRENCIES).take(pa.array(co.currency[a])),
                "issued_at": issued,
                "due_at": np.where(due < window.end_us, due, -1),
                "paid_at": paid_at,
            }
        )

        # reminders for invoices still unpaid three days after due; dunning after thirty
        remind = due + 3 * US_PER_DAY
        unpaid_then = (paid_at < 0) | (paid_at > remind)
        late = unpaid_then & (remind < window.end_us)
        settled = (paid_at >= 0) & (paid_at < remind + 14 * US_PER_DAY)
        outcome = np.where(settled, OK, FAILED)[late]
        touches.add(a[late], remind[late], BILLING, CH["payment_reminder"], SERVICE, outcome)
        dun_at = due + 30 * US_PER_DAY
        dunning = ((paid_at < 0) | (paid_at > dun_at)) & (dun_at < window.end_us)
        touches.add(
            a[dunning],
            dun_at[dunning],
            BILLING,
            CH["dunning_call"],
            SERVICE,
            FAILED,
            handed_to=SUCCESS,
        )
        touches.hand_off(rng, a[dunning], dun_at[dunning], SUCCESS, SERVICE)
        if progress is not None:
            progress(min(lo + CHUNK, total), total)
