"""One-off buyers: a transactional stream planted from a BG/NBD process with Gamma-Gamma spend.

Beside the subscribers, ``buyers`` accounts buy add-on packs (usage credits, training, one-off
services) as they need them, with no subscription or contract: their invoices have no
``subscription_id``. Each buyer follows the BG/NBD story exactly (Fader, Hardie & Lee 2005):
its first purchase on the day it appears (uniform over the window, at least
:data:`MIN_WEEKS` before ``as_of``), repeat purchases at a Poisson rate ``lambda`` per week
with ``lambda ~ Gamma(r, alpha)``, and after each repeat purchase it drops out for good with
probability ``p ~ Beta(a, b)``. Each purchase's amount is Gamma(p_s, nu) with
``nu ~ Gamma(q, gamma)`` (Gamma-Gamma). The planted values and each buyer's own draw are in
the ground truth (``ground_truth/purchases.json``, ``buyers.parquet``), so a fit of the store's
data can be held against them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR, Window
from outsidein.sim.streams import stream
from outsidein.sim.writer import TableSink

# The planted process: BG/NBD (weekly rate) and Gamma-Gamma (USD per purchase).
TRUTH = {"r": 0.7, "alpha": 5.0, "a": 0.9, "b": 4.0, "p": 6.0, "q": 4.0, "gamma": 120.0}
MIN_WEEKS = 8  # a buyer appears at least this long before as_of
HORIZON_WEEKS = 52.0  # the truth's expected purchases are over this horizon after as_of

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Buyers:
    """The planted buyers: ids, latent draws and every purchase (day, amount)."""

    account_ids: pa.StringArray
    first_day: I64
    lam: F64  # purchases per week while alive
    p: F64  # dropout probability after each repeat purchase
    nu: F64  # the Gamma-Gamma scale of their spend
    alive: NDArray[np.bool_]  # still alive at as_of
    buyer: I64  # one entry per purchase: the buyer's index
    day: I64  # purchase day number
    amount: F64

    @property
    def n(self) -> int:
        return len(self.first_day)


def make_buyers(seed: int, count: int, window: Window, first_index: int, width: int) -> Buyers:
    """Draw ``count`` buyers and their purchases in the window; ids continue the accounts'."""
    rng = stream(seed, "purchases")
    t = TRUTH
    last_first = window.end_day - MIN_WEEKS * 7
    first = rng.integers(window.start_day, max(last_first, window.start_day + 1), count)
    lam = rng.gamma(t["r"], 1.0 / t["alpha"], count)
    p = rng.beta(t["a"], t["b"], count)
    nu = rng.gamma(t["q"], 1.0 / t["gamma"], count)
    weeks_left = (window.end_day - first) / 7.0
    buyers, times = [np.arange(count)], [np.zeros(count)]
    now = np.zeros(count)
    alive = np.ones(count, dtype=bool)
    active = np.ones(count, dtype=bool)  # alive and still inside the window
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1.0, len(idx)) / lam[idx]
        inside = now[idx] < weeks_left[idx]
        bought = idx[inside]
        buyers.append(bought)
        times.append(now[bought])
        active[idx[~inside]] = False
        dropped = bought[rng.random(len(bought)) < p[bought]]
        alive[dropped] = False
        active[dropped] = False
    who = np.concatenate(buyers)
    at = np.concatenate(times)
    order = np.lexsort((at, who))
    who, at = who[order], at[order]
    day = _distinct_days(who, first[who] + np.floor(at * 7.0).astype(np.int64))
    keep = day < window.end_day  # a purchase pushed past as_of by the rule above is not made
    who, day = who[keep], day[keep]
    amount = np.round(rng.gamma(t["p"], 1.0 / nu[who]), 2)
    ids = [f"ACC-{first_index + i + 1:0{width}d}" for i in range(count)]
    return Buyers(
        account_ids=pa.array(ids, pa.string()),
        first_day=first.astype(np.int64),
        lam=lam,
        p=p,
        nu=nu,
        alive=alive,
        buyer=who,
        day=day,
        amount=amount,
    )


def _distinct_days(who: I64, day: I64) -> I64:
    """A buyer's purchases on distinct days (the RFM summary merges a day's purchases into
    one transaction, and a merged amount is no Gamma-Gamma draw): a purchase on the day of
    the one before moves to the next free day. Rows sorted by buyer, then time."""
    start = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
    size = np.diff(np.r_[start, len(who)])
    i = np.arange(len(who)) - np.repeat(start, size)  # position within the buyer
    # A running maximum within each buyer: an offset per buyer above any day keeps one
    # buyer's maximum from reaching the next.
    offset = np.repeat(np.arange(len(start), dtype=np.int64), size) * (int(day.max(initial=0)) + 1)
    out = np.maximum.accumulate(day - i + offset) - offset
    return np.asarray(out + i, dtype=np.int64)


def accounts_table(buyers: Buyers, like: pa.Table) -> pa.Table:
    """The buyers as account rows (small companies, no CSM), in the accounts' schema."""
    n = buyers.n
    rng = stream(0, "purchases", "names")
    names = [f"Buyer {i + 1:05d} {('Studio', 'Shop', 'Labs', 'Works')[k]}"
             for i, k in enumerate(rng.integers(0, 4, n))]  # fmt: skip
    cols = {
        "account_id": buyers.account_ids,
        "name": pa.array(names, pa.string()),
        "parent_account_id": pa.nulls(n, pa.string()),
        "industry": pa.array(["Software"] * n, pa.string()),
        "segment": pa.array(["smb"] * n, pa.string()),
        "region": pa.array(["North America"] * n, pa.string()),
        "employees": pa.array(np.full(n, 12), pa.int32()),
        "csm_id": pa.nulls(n, pa.string()),
        "created_at": pa.array((buyers.first_day * US_PER_DAY).astype("datetime64[us]")),
    }
    return pa.table(
        {name: cols[name].cast(like.schema.field(name).type) for name in like.schema.names}
    )


def invoices(buyers: Buyers, sink: TableSink) -> None:
    """One paid invoice per purchase (by card: paid the hour it was issued)."""
    if not len(buyers.buyer):
        return
    issued = buyers.day * US_PER_DAY + 10 * US_PER_HOUR
    sink.write(
        {
            "account_id": buyers.account_ids.take(pa.array(buyers.buyer)),
            "subscription_id": pa.nulls(len(issued), pa.string()),
            "amount": buyers.amount,
            "currency": pa.array(["USD"] * len(issued), pa.string()),
            "issued_at": issued,
            "due_at": issued,
            "paid_at": issued + US_PER_HOUR,
        }
    )


def expected_next(buyers: Buyers, weeks: float = HORIZON_WEEKS) -> F64:
    """Each buyer's true expected purchases in ``weeks`` after as_of, given its latent draw:
    0 when it has dropped out, else ``(1 - exp(-lambda p t)) / p`` (a dropout after each)."""
    lp = buyers.lam * buyers.p
    return np.where(buyers.alive, -np.expm1(-lp * weeks) / buyers.p, 0.0)
