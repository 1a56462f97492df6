"""One account's figures are its row of every account's figures: the same definition
(:func:`account_status`), computed once per change of the data and shared with the list."""

from __future__ import annotations

from pathlib import Path

import ibis

from outsidein.analytics import store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.analytics.revenue import priced
from outsidein.store import connect
from outsidein.web.queries.accounts import get_account, list_accounts
from outsidein.web.queries.figures_cache import figures_cache
from tests.analytics.company import AS_OF, CONFIG

from .test_metrics_api import company_store

FIGURES = ("status", "mrr", "arr", "first_paid_date", "renewal_date")


def test_one_accounts_figures_are_its_row_of_the_portfolio(tmp_path: Path) -> None:
    con = connect(company_store(tmp_path))
    try:
        portfolio = {
            r["account_id"]: r
            for r in account_status(store_sources(con), CONFIG, AS_OF).to_pyarrow().to_pylist()
        }
        prices = {
            r["subscription_id"]: r["mrr"]
            for r in priced(store_sources(con), CONFIG).to_pyarrow().to_pylist()
        }
        assert {r["status"] for r in portfolio.values()} == {"active", "churned", "renewal"}
        assert any(r["renewal_date"] for r in portfolio.values())
        before = figures_cache.computed
        for account_id in sorted(portfolio):
            detail = get_account(con, account_id, CONFIG, as_of=AS_OF)
            shown = detail.account.model_dump()
            assert {k: shown[k] for k in FIGURES} == {
                k: portfolio[account_id][k] for k in FIGURES
            }, account_id
            for sub in detail.subscriptions:
                assert sub.mrr == prices[sub.subscription_id]
        # Every account page read the same two computations (statuses, prices), and the
        # list found the statuses already there.
        assert figures_cache.computed - before == 2
        list_accounts(con, CONFIG, as_of=AS_OF)
        assert figures_cache.computed - before == 3  # only the list's filter values
        # A change of the data is a new computation (a contract changes renewal dates).
        con.execute("UPDATE contracts SET loaded_at = now()::TIMESTAMP")
        get_account(con, sorted(portfolio)[0], CONFIG, as_of=AS_OF)
        assert figures_cache.computed - before == 5
    finally:
        con.close()


def test_the_status_query_stays_small(tmp_path: Path) -> None:
    """Renewal dates once nested each date expression in the next: every account's status
    was a 180 KB query, a second of compiling and parsing on each account page."""
    con = connect(company_store(tmp_path))
    try:
        sql = ibis.to_sql(account_status(store_sources(con), CONFIG, AS_OF))
    finally:
        con.close()
    assert len(sql) < 80_000, len(sql)
