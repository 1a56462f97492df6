"""A small company with ground truth for the CLV tests: one-off buyers and subscribers.

Transactional accounts buy by BG/NBD (no subscription, invoices without one); subscription
accounts renew monthly by the sBG. Rows go into a real store with plain SQL.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

START = dt.date(2025, 1, 1)
AS_OF = dt.date(2025, 12, 31)
BGNBD = (0.8, 6.0, 0.6, 2.5)  # r, alpha (weeks), a, b
SBG = (0.7, 1.2)


def build(con: duckdb.DuckDBPyConnection, buyers: int = 400, subscribers: int = 600) -> None:
    rng = np.random.default_rng(7)
    accounts, invoices, subs, contracts = [], [], [], []
    r, alpha, a, b = BGNBD
    for i in range(buyers):
        acc = f"T{i:04d}"
        accounts.append(acc)
        day = int(rng.integers(0, 84))
        lam, p = rng.gamma(r, 1 / alpha), rng.beta(a, b)
        nu = rng.gamma(3.0, 1 / 15.0)  # Gamma-Gamma: q 3, gamma 15, p 6 below
        days = [day]
        t = day / 7
        while True:
            t += rng.exponential(1 / lam)
            if START + dt.timedelta(days=int(t * 7)) > AS_OF:
                break
            days.append(int(t * 7))
            if rng.random() < p:
                break
        for k, d in enumerate(days):
            invoices.append((f"I{acc}-{k}", acc, None, float(rng.gamma(6.0, 1 / nu)), d))
    al, be = SBG
    for i in range(subscribers):
        acc = f"S{i:04d}"
        accounts.append(acc)
        month = int(rng.integers(0, 10))
        start = pd.Timestamp(START) + pd.DateOffset(months=month)
        theta = rng.beta(al, be)
        life = min(int(rng.geometric(theta)), 24)  # billing periods paid (24: past AS_OF)
        end = start + pd.DateOffset(months=life)
        ended = end.date() <= AS_OF
        mrr = float(rng.integers(1, 20) * 50)
        subs.append((acc, acc, mrr, start.date(), end.date() if ended else None))
        contracts.append((acc, acc, start.date()))
    con.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "SELECT a, a, TIMESTAMP '2025-01-01', 'test', now() FROM unnest(?) t(a)",
        [accounts],
    )
    inv = pd.DataFrame(invoices, columns=["invoice_id", "account_id", "sub", "amount", "day"])
    inv["issued_at"] = pd.Timestamp(START) + pd.to_timedelta(inv["day"], unit="D")
    con.register("inv", inv)
    con.execute(
        "INSERT INTO invoices (invoice_id, account_id, subscription_id, amount, currency, "
        "issued_at, source, loaded_at) SELECT invoice_id, account_id, sub, amount, 'USD', "
        "issued_at, 'test', now() FROM inv"
    )
    con.register("s", pd.DataFrame(subs, columns=["sid", "account_id", "mrr", "start", "end"]))
    con.execute(
        "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, "
        "start_date, end_date, status, source, loaded_at, contract_id) SELECT sid, account_id, "
        "'pro', mrr, 'USD', start, \"end\", CASE WHEN \"end\" IS NULL THEN 'active' "
        "ELSE 'canceled' END, 'test', now(), sid FROM s"
    )
    con.register("c", pd.DataFrame(contracts, columns=["cid", "account_id", "start"]))
    con.execute(
        "INSERT INTO contracts (contract_id, account_id, term_start, term_months, "
        "billing_period, auto_renew, source, loaded_at) SELECT cid, account_id, start, 1, "
        "'monthly', true, 'test', now() FROM c"
    )
