"""Issue 19, item 3 for contacts: one person across systems.

Acceptance: the same customer is a HubSpot company, a Stripe customer and a Zendesk
organization, and its champion a HubSpot contact, a Zendesk user and a product user. Each
export loads with one command; the Zendesk users are matched by email, declared once in
``outsidein.toml`` (``[load.contacts] link_key = "email"``); the product's user, whose
address differs, is suggested by name and domain and confirmed once. The person ends as one
contact with every system's id, their Zendesk tickets, product survey answers and later
touchpoints on it, and the HubSpot title kept.
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from outsidein.analytics import AnalyticsConfig, account_mrr, store_sources
from outsidein.cli import app
from outsidein.errors import ConfigError, NotFoundError
from outsidein.identity import (
    contact_suggestions,
    link_contacts,
    reject_contacts,
    undo_contact_merge,
    unlink_contact_id,
)
from outsidein.identity.contact_match import normalise_email, normalise_person
from outsidein.ingest import load_file
from outsidein.settings.load import LoadSpec

FIXTURES = Path(__file__).parents[1] / "ingest" / "fixtures" / "profiles"
AS_OF = date(2024, 6, 30)
EUR = Decimal("1.10")
ANALYTICS = AnalyticsConfig(currency_rates={"USD": Decimal(1), "EUR": EUR})
TOML = '[load.contacts]\nlink_key = "email"\n'


def _cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("raw", "email"),
    [(" Jo.Park@ACME.example ", "jo.park@acme.example"), ("n/a", ""), ("a@b", ""), (None, "")],
)
def test_emails_are_normalised(raw: str | None, email: str) -> None:
    assert normalise_email(raw) == email


def test_names_of_people_are_normalised() -> None:
    assert normalise_person("José  O'Neil-Park") == "jose oneil park"
    assert normalise_person("JO PARK") == normalise_person("Jo Park") == "jo park"


def test_one_person_in_three_systems(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    config = _write(tmp_path / "outsidein.toml", TOML)

    def load(*args: str) -> str:
        return _cli(db, "load", *args, "--config", str(config))

    # Accounts: HubSpot companies, Stripe customers and Zendesk organizations (which carry
    # the CRM id in their documented external_id field).
    load("accounts", str(FIXTURES / "hubspot-companies.csv"), "--profile", "hubspot-companies")
    stripe = _write(
        tmp_path / "customers.csv",
        "id,created,email,name,metadata.hubspot_company_id\n"
        'cus_NffrFeUfNV2Hib,1680893993,billing@acme.example,"ACME, Inc.",5001\n'
        "cus_Ngl0Globex01x,1681000000,ap@globex.example,Globex GmbH,5002\n"
        "cus_Nin1Initech02,1682000000,finance@initech.example,Initech Ltd,5003\n",
    )
    load("accounts", str(stripe), "--profile", "stripe-customers", "--link-key",
         "hubspot=metadata.hubspot_company_id")  # fmt: skip
    load("subscriptions", str(FIXTURES / "stripe-subscriptions.csv"), "--profile",
         "stripe-subscriptions")  # fmt: skip
    organizations = _write(  # https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/
        tmp_path / "organizations.csv",
        "id,url,external_id,name,created_at,domain_names\n"
        "509974,https://example.zendesk.com/api/v2/organizations/509974.json,5001,Acme,"
        "2024-01-10T10:00:00Z,acme.example\n"
        "509975,https://example.zendesk.com/api/v2/organizations/509975.json,5002,Globex,"
        "2024-01-11T10:00:00Z,globex.example\n"
        "509976,https://example.zendesk.com/api/v2/organizations/509976.json,5003,Initech,"
        "2024-01-12T10:00:00Z,initech.example\n",
    )
    load("accounts", str(organizations), "--id-system", "zendesk", "--map", "id=account_id",
         "--link-key", "hubspot=external_id")  # fmt: skip
    # Contacts: HubSpot's, then Zendesk's users (matched by email, the declared key), then
    # the product's users (no key in common: a suggestion to confirm).
    load("contacts", str(FIXTURES / "hubspot-contacts.csv"), "--profile", "hubspot-contacts")
    users = _write(  # https://developer.zendesk.com/api-reference/ticketing/users/users/
        tmp_path / "users.csv",
        "id,url,name,email,organization_id,iana_time_zone,role,created_at\n"
        "20978392,https://example.zendesk.com/api/v2/users/20978392.json,Jo Park,"
        "JO.PARK@acme.example,509974,America/New_York,end-user,2024-05-01T09:00:00Z\n"
        "20978393,https://example.zendesk.com/api/v2/users/20978393.json,Li Meyer,"
        "li.meyer@globex.example,509975,Europe/Berlin,end-user,2024-05-02T09:00:00Z\n"
        "20978394,https://example.zendesk.com/api/v2/users/20978394.json,Ana Lee,"
        "ana@initech.example,509976,,end-user,2024-05-03T09:00:00Z\n",
    )
    out = load("contacts", str(users), "--id-system", "zendesk", "--map", "id=contact_id",
               "--map", "organization_id=account_id", "--map", "iana_time_zone=timezone",
               "--values", "role:end-user=user", "--no-keep-extra")  # fmt: skip
    assert "1 new, 2 updated" in out, out
    tickets = _write(
        tmp_path / "tickets.csv",
        (FIXTURES / "zendesk-tickets.csv").read_text(encoding="utf-8"),
    )
    load("cases", str(tickets), "--profile", "zendesk-tickets")
    product = _write(
        tmp_path / "product-users.csv",
        "user_id,group,name,email\nusr_7,5001,Jo Park,jo@acme.example\n",
    )
    load("contacts", str(product), "--id-system", "product", "--map", "user_id=contact_id",
         "--map", "group=account_id")  # fmt: skip
    answers = _write(
        tmp_path / "answers.csv",
        "response_id,account_id,contact_id,survey,answered_at,kind,score\n"
        "r1,5001,usr_7,pulse,2024-06-10T10:00:00Z,nps,9\n"
        "r2,5001,usr_7,pulse,2024-07-10T10:00:00Z,nps,10\n",
    )
    load("survey_responses", str(answers))

    listed = _cli(db, "contacts", "duplicates")
    assert "usr_7" in listed and "name+domain: jo park @ acme.example" in listed, listed
    _cli(db, "contacts", "link", "901", "usr_7")
    touchpoints = _write(  # sent after the merge, still with the product's user id
        tmp_path / "touchpoints.csv",
        "touchpoint_id,account_id,contact_id,at,channel,function,outcome\n"
        "t1,5001,usr_7,2024-08-01T10:00:00Z,in-app,product,success\n",
    )
    load("touchpoints", str(touchpoints))

    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM accounts").fetchall() == [(3,)]
        ids = con.execute(
            "SELECT system, external_id FROM external_ids WHERE account_id = '5001' ORDER BY 1"
        ).fetchall()
        assert ids == [("hubspot", "5001"), ("stripe", "cus_NffrFeUfNV2Hib"),
                       ("zendesk", "509974")]  # fmt: skip
        people = con.execute(
            "SELECT contact_id, account_id, name, email, title, timezone FROM contacts "
            "ORDER BY contact_id"
        ).fetchall()
        assert people == [
            ("20978394", "5003", "Ana Lee", "ana@initech.example", None, None),
            ("901", "5001", "Jo Park", "JO.PARK@acme.example", "VP Operations",
             "America/New_York"),
            ("902", "5002", "Li Meyer", "li.meyer@globex.example", "Head of IT", "Europe/Berlin"),
            ("903", "5003", None, "sam.roy@initech.example", "Controller", None),
        ]  # fmt: skip
        jo = con.execute(
            "SELECT system, external_id FROM contact_external_ids WHERE contact_id = '901' "
            "ORDER BY 1"
        ).fetchall()
        assert jo == [("hubspot", "901"), ("product", "usr_7"), ("zendesk", "20978392")]
        cases = con.execute("SELECT case_id, contact_id FROM cases ORDER BY 1").fetchall()
        assert cases == [("35436", "901"), ("35437", "902"), ("35438", "20978394")]
        of_jo = con.execute(
            "SELECT (SELECT count(*) FROM survey_responses WHERE contact_id = '901'), "
            "(SELECT count(*) FROM touchpoints WHERE contact_id = '901')"
        ).fetchall()
        assert of_jo == [(2, 1)]
        mrr = account_mrr(store_sources(con), ANALYTICS, AS_OF).to_pyarrow().to_pylist()
    finally:
        con.close()
    # MRR counted once per customer, as the Stripe file says (cents; a yearly plan / 12)
    crm_of = {r["id"]: r["metadata.hubspot_company_id"] for r in _rows(stripe)}
    expected = {
        crm_of[r["customer"]]: Decimal(r["plan.amount"]) / 100
        / (12 if r["plan.interval"] == "year" else 1)
        * (EUR if r["currency"] == "eur" else 1)
        for r in _rows(FIXTURES / "stripe-subscriptions.csv")
        if r["status"] == "active"
    }  # fmt: skip
    assert {r["account_id"]: r["mrr"] for r in mrr if r["mrr"]} == expected
    _cli(db, "contacts", "unlink", "usr_7")
    con = duckdb.connect(str(db), read_only=True)
    try:
        back = con.execute(
            "SELECT (SELECT count(*) FROM survey_responses WHERE contact_id = 'usr_7'), "
            "(SELECT count(*) FROM touchpoints WHERE contact_id = 'usr_7'), "
            "(SELECT count(*) FROM contacts)"
        ).fetchall()
        assert back == [(2, 0, 5)]  # the touchpoint was loaded onto 901, not moved there
    finally:
        con.close()


def _people(store: duckdb.DuckDBPyConnection) -> None:
    store.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) VALUES "
        "('a1', 'Acme', '2024-01-01', 'crm', '2024-01-01')"
    )
    store.execute(
        "INSERT INTO contacts (contact_id, account_id, name, email, title, source, loaded_at) "
        "VALUES ('c1', 'a1', 'Jo Park', 'jo@acme.example', 'VP', 'crm', '2024-01-01'), "
        "('z1', 'a1', 'Jo Park', NULL, NULL, 'zendesk', '2024-02-01'), "
        "('p1', 'a1', 'Max Roe', 'JO@acme.example ', NULL, 'product', '2024-03-01'), "
        "('q1', 'a1', 'Ann Fox', 'ann@gmail.com', NULL, 'product', '2024-03-02'), "
        "('q2', 'a1', 'Ann Fox', 'ann.fox@gmail.com', NULL, 'product', '2024-03-03')"
    )
    store.execute(
        "INSERT INTO cases (case_id, account_id, contact_id, opened_at, priority, status, "
        "source, loaded_at) VALUES ('k1', 'a1', 'z1', '2024-02-02', 'high', 'open', 'zendesk', "
        "'2024-02-02')"
    )
    store.execute("INSERT INTO contact_consent VALUES ('z1', 'unsubscribed', 'link', '2024-02-03')")


def test_suggestions_rank_email_then_name(store: duckdb.DuckDBPyConnection) -> None:
    _people(store)
    found = [(s.contact_id, s.other_id, s.method) for s in contact_suggestions(store)]
    # free-mail domains say nothing: q1 and q2 meet only by name in one account
    assert found == [
        ("c1", "p1", "email"), ("c1", "z1", "name+account"), ("q1", "q2", "name+account")
    ]  # fmt: skip
    reject_contacts(store, "q1", "q2", "test")
    assert [s.other_id for s in contact_suggestions(store)] == ["p1", "z1"]


def test_link_moves_rows_consent_and_undo_puts_them_back(
    store: duckdb.DuckDBPyConnection,
) -> None:
    _people(store)
    merge = link_contacts(store, "c1", "z1", "test")
    assert merge.moved["cases"] == ["k1"]
    assert store.execute("SELECT contact_id FROM cases").fetchall() == [("c1",)]
    consent = store.execute("SELECT contact_id, status FROM contact_consent").fetchall()
    assert consent == [("c1", "unsubscribed")]  # an unsubscribe anywhere stands
    assert store.execute(
        "SELECT system, external_id, contact_id FROM contact_external_ids"
    ).fetchall() == [("merged", "z1", "c1")]
    undo_contact_merge(store, "z1", "test")
    assert store.execute("SELECT contact_id FROM cases").fetchall() == [("z1",)]
    assert store.execute("SELECT contact_id, status FROM contact_consent").fetchall() == [
        ("z1", "unsubscribed")
    ]
    assert store.execute("SELECT count(*) FROM contact_external_ids").fetchall() == [(0,)]
    with pytest.raises(NotFoundError):
        unlink_contact_id(store, "merged", "z1", "test")


def test_email_key_needs_the_file_system_and_a_kind_that_has_it(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _people(store)
    path = _write(tmp_path / "c.csv", "contact_id,account_id,email\nx9,a1,jo@acme.example\n")
    with pytest.raises(ConfigError, match="--id-system"):
        load_file(store, "contacts", path, transforms=LoadSpec(link_key="email"))
    with pytest.raises(ConfigError, match="on accounts"):
        load_file(store, "accounts", path, transforms=LoadSpec(link_key="email"))


def test_two_rows_of_one_person_reject_the_second(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _people(store)
    path = _write(
        tmp_path / "c.csv",
        "contact_id,account_id,email\nx1,a1,jo@acme.example\nx2,a1,Jo@Acme.example\n",
    )
    # p1 shares c1's email: the key names two stored contacts, so it matches none of them
    store.execute("DELETE FROM contacts WHERE contact_id = 'p1'")
    result = load_file(
        store, "contacts", path, id_system="support", transforms=LoadSpec(link_key="email")
    )
    assert result.rows_rejected == 1
    assert "the same person as line 2" in result.rejects[0].reason
    ids = store.execute(
        "SELECT system, external_id, contact_id FROM contact_external_ids"
    ).fetchall()
    assert ids == [("support", "x1", "c1")]


def test_the_demo_support_users_link_by_key_or_are_suggested_exactly(tmp_path: Path) -> None:
    """The simulator's Zendesk users (ground truth: which user is which contact, and how):
    those with the CRM's address land on their contact at load, the others are suggested
    (and only they, among the support tool's users), and confirming them leaves one contact
    each."""
    from datetime import date

    import pyarrow.parquet as pq

    from outsidein.cli.demo import load_support_users
    from outsidein.ingest import load_directory
    from outsidein.sim import simulate
    from outsidein.sim.support_export import FILE, TRUTH
    from outsidein.store import connect

    simulate(tmp_path / "c", accounts=150, months=3, seed=11, as_of=date(2026, 11, 30))
    con = connect(tmp_path / "s.duckdb")
    try:
        load_directory(con, tmp_path / "c")
        (before,) = con.execute("SELECT count(*) FROM contacts").fetchall()[0]
        result = load_support_users(con, tmp_path / "c" / FILE)
        assert result.rows_rejected == 0
        truth = pq.read_table(tmp_path / "c" / TRUTH).to_pylist()
        by_key = {(t["contact_id"], t["user_id"]) for t in truth if t["linked_by"] == "email"}
        suggested = {(t["contact_id"], t["user_id"]) for t in truth if t["linked_by"] != "email"}
        assert len(by_key) >= 3 and len(suggested) >= 3
        assert result.rows_updated + result.rows_unchanged == len(by_key)
        assert result.rows_inserted == len(suggested)
        linked = con.execute(
            "SELECT contact_id, external_id FROM contact_external_ids WHERE system = 'zendesk' "
            "AND contact_id <> external_id"
        ).fetchall()
        assert set(linked) == by_key
        found = {
            (s.contact_id, s.other_id)
            for s in contact_suggestions(con, 10_000)
            if s.other_id.startswith("zd_")
        }
        assert found == suggested
        for contact_id, user_id in sorted(suggested):
            link_contacts(con, contact_id, user_id, "tester")
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(before,)]
    finally:
        con.close()
