"""Systems of record: subscription rows and the invoices billed against them.

Invoices are issued in advance each billing period (monthly, or yearly for annual
contracts) from the window's start; a subscription ended by a mid-term change has its
last period prorated. Unhealthy customers pay later, and some never pay; late payers get
reminders and dunning calls from billing, which hands them to success. A due date on or
after ``as_of`` is left empty: nothing in the data is dated on or after ``as_of``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outsidein.sim.calendar import NEVER, US_PER_DAY, US_PER_HOUR, add_months, months_between
from outsidein.sim.catalog import CURRENCIES, PLANS
from outsidein.sim.journey import BILLING, CH, FAILED, OK, SERVICE, SUCCESS, Touches
from outsidein.sim.streams import stream
from outsidein.sim.world import SUB_ENDED, SUB_STATUSES, SUB_TRIALING, World
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
            "contract_id": subscription_ids(len(acc)),
        }
    )


def contracts_table(world: World) -> pa.Table:
    """One evergreen monthly contract per subscription row."""
    s = world.subs
    acc = s["account"].astype(np.int64)
    n = len(acc)
    return pa.table(
        {
            "contract_id": subscription_ids(n),
            "account_id": world.company.account_ids.take(pa.array(acc)),
            "term_start": pa.array(s["start"].astype(np.int32)).view(pa.date32()),
            "term_months": pa.array(np.ones(n, np.int32)),
            "billing_period": pa.array(["monthly"] * n, pa.string()),
            "auto_renew": pa.array(np.ones(n, np.bool_)),
            "cancellation_reason": pa.nulls(n, pa.string()),
        }
    )


def _dates(days: I64) -> pa.Array:
    open_ended = days >= NEVER
    values = np.where(open_ended, 0, days).astype(np.int32)
    return pa.array(values, mask=open_ended).view(pa.date32())


def _periods(start: I64, stop: I64, every: I64, first_day: int) -> tuple[I64, I64]:
    """(row index, k) for every period start ``start + k*every`` months in [first_day, stop)."""
    k0 = np.maximum(months_between(start, np.full(len(start), first_day)) // every, 0)
    k0 = k0 + (add_months(start, k0 * every) < first_day)
    k1 = months_between(start, stop - 1) // every
    k1 = k1 - (add_months(start, k1 * every) >= stop)
    count = np.maximum(k1 - k0 + 1, 0)
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
        every = np.where(co.annual[acc], 12, 1)
        stop = np.minimum(end, window.end_day)
        paid = status != SUB_TRIALING
        row, k = _periods(start, np.where(paid, stop, start), every, window.start_day)
        a = acc[row]
        day = add_months(start[row], k * every[row])
        next_day = add_months(start[row], (k + 1) * every[row])
        share = np.ones(len(row))
        cut = (status[row] == SUB_ENDED) & (next_day > end[row])
        share[cut] = (end[row] - day)[cut] / (next_day - day)[cut]
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
