"""Issue 19, item 3: one customer across systems.

Acceptance: the same customer is a HubSpot company, a Stripe customer and a product group.
Each system's export loads with one command (a profile; the Stripe export carries the
HubSpot id, declared with ``--link-key``); the product's own account list is matched by
name, the match confirmed once; and the customer ends as one account with every system's id
linked, its subscription, invoice and events on it, the MRR counted once.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.errors import NotFoundError
from outsidein.identity import (
    link,
    normalise_domain,
    normalise_name,
    reject,
    suggestions,
    undo_merge,
    unlink_id,
)
from outsidein.store import audit

FIXTURES = Path(__file__).parents[1] / "ingest" / "fixtures" / "profiles"


def _cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("ACME, Inc.", "acme"), ("Acme Inc", "acme"), ("acme", "acme"), ("Globex GmbH", "globex"),
        ("Initech Ltd.", "initech"), ("Société Générale S.A.", "societe generale"),
        ("The Co", "the"), ("Ltd", "ltd"), ("", ""),
    ],
)  # fmt: skip
def test_names_are_normalised(raw: str, name: str) -> None:
    assert normalise_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "domain"),
    [
        ("https://www.Acme.example/about", "acme.example"), ("jo@ACME.example", "acme.example"),
        ("www.globex.example:443", "globex.example"), ("someone@gmail.com", ""), ("n/a", ""),
    ],
)  # fmt: skip
def test_domains_are_normalised(raw: str, domain: str) -> None:
    assert normalise_domain(raw) == domain


def test_three_systems_end_as_one_account(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    # 1. The CRM: HubSpot companies, as exported.
    _cli(db, "load", "accounts", str(FIXTURES / "hubspot-companies.csv"), "--profile",
         "hubspot-companies")  # fmt: skip
    # 2. Billing: Stripe customers whose metadata holds the HubSpot company id.
    stripe = _write(
        tmp_path / "customers.csv",
        "id,created,email,name,metadata.hubspot_company_id\n"
        'cus_NffrFeUfNV2Hib,1680893993,billing@acme.example,"ACME, Inc.",5001\n'
        "cus_Ngl0Globex01x,1681000000,ap@globex.example,Globex GmbH,5002\n"
        "cus_Nin1Initech02,1682000000,finance@initech.example,Initech Ltd,5003\n",
    )
    _cli(db, "load", "accounts", str(stripe), "--profile", "stripe-customers", "--link-key",
         "hubspot=metadata.hubspot_company_id")  # fmt: skip
    _cli(db, "load", "subscriptions", str(FIXTURES / "stripe-subscriptions.csv"), "--profile",
         "stripe-subscriptions")  # fmt: skip
    # 3. The product: its own list of groups (no CRM id), matched by name, then its events.
    groups = _write(
        tmp_path / "groups.csv",
        "group_id,group_name,created_at\ngrp_acme,Acme,2024-02-01\ngrp_globex,GLOBEX,2024-02-02\n",
    )
    _cli(db, "load", "accounts", str(groups), "--id-system", "product", "--map",
         "group_id=account_id", "--map", "group_name=name")  # fmt: skip
    output = _cli(db, "accounts", "duplicates")
    assert "grp_acme" in output and "name: acme" in output
    _cli(db, "accounts", "link", "5001", "grp_acme")
    _cli(db, "accounts", "link", "5002", "grp_globex")
    events = _write(
        tmp_path / "events.csv",
        (FIXTURES / "posthog-events.csv")
        .read_text(encoding="utf-8")
        .replace("grp_initech", "grp_acme"),
    )
    _cli(db, "load", "events", str(events), "--profile", "posthog-events")

    con = duckdb.connect(str(db), read_only=True)
    try:
        accounts = con.execute("SELECT account_id FROM accounts ORDER BY 1").fetchall()
        assert accounts == [("5001",), ("5002",), ("5003",)]  # no cus_*, no grp_*
        ids = con.execute(
            "SELECT system, external_id FROM external_ids WHERE account_id = '5001' ORDER BY 1"
        ).fetchall()
        assert ids == [
            ("hubspot", "5001"), ("product", "grp_acme"), ("stripe", "cus_NffrFeUfNV2Hib")
        ]  # fmt: skip
        subs = con.execute(
            "SELECT account_id, mrr, status FROM subscriptions ORDER BY account_id"
        ).fetchall()
        assert subs == [
            ("5001", Decimal("499.00"), "active"), ("5002", Decimal("200.00"), "active"),
            ("5003", Decimal("299.00"), "ended"),
        ]  # fmt: skip
        events_of = dict(
            con.execute("SELECT account_id, count(*) FROM events GROUP BY 1").fetchall()
        )
        assert events_of == {"5001": 2, "5002": 1}
        names = con.execute("SELECT name FROM accounts WHERE account_id = '5002'").fetchall()
        assert names[0][0] in ("Globex GmbH", "GLOBEX")
    finally:
        con.close()


def test_one_system_per_command_mrr_counted_once(tmp_path: Path) -> None:
    """A Stripe subscription of a linked customer lands on the CRM account, once."""
    db = tmp_path / "s.duckdb"
    _cli(db, "load", "accounts", str(FIXTURES / "hubspot-companies.csv"), "--profile",
         "hubspot-companies")  # fmt: skip
    stripe = _write(
        tmp_path / "customers.csv",
        "id,created,name,metadata.hubspot_company_id\n"
        'cus_NffrFeUfNV2Hib,1680893993,"ACME, Inc.",5001\n',
    )
    _cli(db, "load", "accounts", str(stripe), "--profile", "stripe-customers", "--link-key",
         "hubspot=metadata.hubspot_company_id")  # fmt: skip
    subs = _write(
        tmp_path / "subs.csv",
        (FIXTURES / "stripe-subscriptions.csv").read_text(encoding="utf-8").splitlines()[0]
        + "\n"
        + (FIXTURES / "stripe-subscriptions.csv").read_text(encoding="utf-8").splitlines()[1]
        + "\n",
    )
    _cli(db, "load", "subscriptions", str(subs), "--profile", "stripe-subscriptions")
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT account_id, mrr FROM subscriptions").fetchall()
        assert rows == [("5001", Decimal("499.00"))]
        assert con.execute("SELECT count(*) FROM accounts").fetchall() == [(3,)]
    finally:
        con.close()


def _company(store: duckdb.DuckDBPyConnection) -> None:
    store.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) VALUES "
        "('a1', 'Acme Inc', '2024-01-01', 'crm', '2024-01-01'), "
        "('b1', 'ACME, Inc.', '2024-02-01', 'billing', '2024-02-01'), "
        "('c1', 'Umbrella', '2024-03-01', 'crm', '2024-03-01')"
    )
    store.execute(
        "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, "
        "start_date, status, source, loaded_at) VALUES "
        "('s1', 'b1', 'pro', 100, 'USD', '2024-02-01', 'active', 'billing', '2024-02-01')"
    )
    store.execute(
        "INSERT INTO external_ids VALUES ('billing', 'b1', 'b1', 'billing', '2024-02-01')"
    )


def test_link_moves_everything_and_undo_puts_it_back(store: duckdb.DuckDBPyConnection) -> None:
    _company(store)
    found = suggestions(store)
    assert [(s.account_id, s.other_id, s.method) for s in found] == [("a1", "b1", "name")]
    merge = link(store, "a1", "b1", "tester")
    assert merge.moved["subscriptions.account_id"] == ["s1"]
    assert store.execute("SELECT account_id FROM subscriptions").fetchall() == [("a1",)]
    assert store.execute(
        "SELECT account_id FROM external_ids WHERE external_id = 'b1'"
    ).fetchall() == [("a1",)]
    assert store.execute("SELECT count(*) FROM accounts WHERE account_id = 'b1'").fetchall() == [
        (0,)
    ]
    assert suggestions(store) == []  # decided
    entry = audit.read(store, action="identity").entries[0]
    assert entry.action == "identity.link" and entry.actor == "tester"
    assert entry.target == "a1" and entry.detail and entry.detail["merged"] == "b1"

    undo_merge(store, "b1", "tester")
    assert store.execute("SELECT account_id FROM subscriptions").fetchall() == [("b1",)]
    assert store.execute(
        "SELECT account_id FROM external_ids WHERE external_id = 'b1'"
    ).fetchall() == [("b1",)]
    assert store.execute("SELECT name FROM accounts WHERE account_id = 'b1'").fetchall() == [
        ("ACME, Inc.",)
    ]
    assert [s.other_id for s in suggestions(store)] == ["b1"]  # to decide again
    with pytest.raises(NotFoundError):
        undo_merge(store, "b1", "tester")


def test_a_rejected_pair_is_not_suggested_again(store: duckdb.DuckDBPyConnection) -> None:
    _company(store)
    reject(store, "a1", "b1", "tester")
    assert suggestions(store) == []
    assert audit.read(store, action="identity.reject").total == 1


def test_unlink_forgets_one_external_id(store: duckdb.DuckDBPyConnection) -> None:
    _company(store)
    assert unlink_id(store, "billing", "b1", "tester") == "b1"
    assert store.execute("SELECT count(*) FROM external_ids").fetchall() == [(0,)]
    with pytest.raises(NotFoundError):
        unlink_id(store, "billing", "b1", "tester")


def test_domains_match_across_names(store: duckdb.DuckDBPyConnection) -> None:
    """A billing customer's email domain matches a CRM company's domain field."""
    store.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) VALUES "
        "('a1', 'Initech', '2024-01-01', 'crm', '2024-01-01'), "
        "('b1', 'Initrode Billing', '2024-02-01', 'billing', '2024-02-01')"
    )
    store.execute(
        "INSERT INTO custom_values (entity, record_id, name, value, load_id, source, loaded_at) "
        "VALUES ('accounts', 'a1', 'company_domain_name', 'www.initech.example', 'l', 'crm', "
        "'2024-01-01'), ('accounts', 'b1', 'email', 'finance@initech.example', 'l', 'b', "
        "'2024-02-01')"
    )
    found = suggestions(store)
    assert [(s.account_id, s.other_id, s.method, s.key) for s in found] == [
        ("a1", "b1", "domain", "initech.example")
    ]


def test_the_demo_company_billing_view_is_suggested_exactly(tmp_path: Path) -> None:
    """The simulator's billing export (ground truth: which customer is which account): the
    suggestions are exactly its pairs, and confirming them leaves one account each."""
    from datetime import date

    import pyarrow.parquet as pq

    from outsidein.ingest import load_directory
    from outsidein.ingest.profiles import load_export
    from outsidein.sim import simulate
    from outsidein.sim.billing_export import FILE, TRUTH
    from outsidein.store import connect

    simulate(tmp_path / "c", accounts=150, months=3, seed=11, as_of=date(2026, 11, 30))
    con = connect(tmp_path / "s.duckdb")
    try:
        load_directory(con, tmp_path / "c")
        assert load_export(con, "stripe-customers", tmp_path / "c" / FILE).rows_rejected == 0
        truth = {
            (r["account_id"], r["customer_id"])
            for r in pq.read_table(tmp_path / "c" / TRUTH).to_pylist()
        }
        found = {(s.account_id, s.other_id) for s in suggestions(con)}
        assert found == truth and len(truth) == 2
        for account_id, customer_id in sorted(truth):
            link(con, account_id, customer_id, "tester")
        assert con.execute("SELECT count(*) FROM accounts").fetchall() == [(150,)]
        stripe = con.execute(
            "SELECT external_id, account_id FROM external_ids WHERE system = 'stripe'"
        ).fetchall()
        assert {(a, c) for c, a in stripe} == truth
    finally:
        con.close()
