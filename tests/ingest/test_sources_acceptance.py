"""Acceptance (issue 19, items 1, 2, 4, 5): a SaaS company's exports as its systems write
them load with one command each and an ``outsidein.toml``, and the metrics match values
computed here from the files:

* product usage exported as counts per feature and day (``Usage Count``), some rows by
  subscription, some without a user;
* a CRM whose churn records mark a fifth of the accounts churned while billing never ends
  their subscriptions (``churn_ends_subscriptions``): logo churn and MRR follow the records;
* an upgrade exported as a new subscription row that never ends the old one
  (``supersede_in_family``): MRR counts the new plan only, and the quality check saw it;
* nightly full lists of subscriptions and contacts with a row missing (``--full-refresh``):
  the subscription is ended on the load day, the contact flagged, both audited.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outsidein.analytics import (
    AnalyticsConfig,
    account_mrr,
    feature_counts,
    mrr_bridge,
    store_sources,
)
from outsidein.cli import app
from outsidein.cli.app import console
from outsidein.errors import OutsideInError
from outsidein.store import connect

AS_OF = date(2025, 6, 30)
START = date(2025, 1, 1)
PLANS = {"Starter": Decimal("100.00"), "Growth": Decimal("250.00")}

TOML = r"""
[sources]
churn_ends_subscriptions = true
supersede_in_family = true

[load.accounts.map]
"Company ID" = "account_id"
"Company Name" = "name"
"Create Date" = "created_at"
"Is Churned" = "churned"

[load.subscriptions.map]
"Sub ID" = "subscription_id"
Customer = "account_id"
Product = "plan"
"Monthly Amount" = "mrr"
Started = "start_date"
"Canceled At" = "end_date"
Status = "status"

[load.churn_records.map]
"Company ID" = "account_id"
"Churn Date" = "churned_at"
"Churn Type" = "type"
"Churn Reason" = "reason"
Feedback = "feedback"
"Refund Amount" = "refund"

[load.usage_daily.map]
"Account" = "account_id"
"Subscription" = "subscription_id"
"User" = "user_id"
"Event Name" = "feature"
"Event Date" = "day"
"Usage Count" = "count"
"""


@dataclass
class Company:
    folder: Path
    mrr: dict[str, Decimal] = field(default_factory=dict)  # on AS_OF, as a careful analyst sees it
    churned: dict[str, date] = field(default_factory=dict)
    upgraded: str = ""
    usage: dict[tuple[str, str], int] = field(default_factory=dict)  # in the 28 days to AS_OF
    dropped_sub: str = ""
    dropped_contact: str = ""


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        out.writerows(rows)


def _company(folder: Path, seed: int = 19) -> Company:
    rng = random.Random(seed)
    made = Company(folder)
    (folder / "outsidein.toml").write_text(TOML, encoding="utf-8")
    ids = [f"HS-{1000 + i}" for i in range(20)]
    churners = set(rng.sample(ids, 4))  # a fifth of the accounts
    made.upgraded = sorted(set(ids) - churners)[0]
    accounts, subs, churn, contacts = [], [], [], []
    for n, account in enumerate(ids):
        plan = rng.choice(["Starter", "Growth"])
        gone = account in churners
        accounts.append([account, f"Company {n}", "2024-11-01", "true" if gone else "false"])
        sub = f"sub_{n:03d}"
        first_plan = "Starter" if account == made.upgraded else plan
        subs.append([sub, account, first_plan, str(PLANS[first_plan]), "2025-01-01", "", "active"])
        made.mrr[account] = PLANS[first_plan]
        if account == made.upgraded:  # the upgrade: a new row, the old one never ended
            subs.append(
                [f"sub_{n:03d}_up", account, "Growth", "250.00", "2025-04-01", "", "active"]
            )
            made.mrr[account] = PLANS["Growth"]
        if gone:
            day = START + timedelta(days=rng.randrange(40, 170))
            made.churned[account] = day
            made.mrr.pop(account)
            reason = rng.choice(["Price", "Product gaps"])
            churn.append([account, day.isoformat(), "Voluntary", reason, "we moved on", "0"])
        contacts.append([f"c{n}", account, f"person{n}@example.com"])
    _write(folder / "companies.csv", ["Company ID", "Company Name", "Create Date", "Is Churned"],
           accounts)  # fmt: skip
    sub_header = [
        "Sub ID",
        "Customer",
        "Product",
        "Monthly Amount",
        "Started",
        "Canceled At",
        "Status",
    ]
    _write(folder / "subscriptions.csv", sub_header, subs)
    _write(folder / "churn.csv", ["Company ID", "Churn Date", "Churn Type", "Churn Reason",
                                  "Feedback", "Refund Amount"], churn)  # fmt: skip
    # The nightly full list, a day later: one open subscription is gone from it.
    made.dropped_sub = next(s[0] for s in subs if s[1] not in churners and s[1] != made.upgraded)
    _write(folder / "subscriptions_nightly.csv", sub_header,
           [s for s in subs if s[0] != made.dropped_sub])  # fmt: skip
    _write(folder / "contacts.csv", ["contact_id", "account_id", "email"], contacts)
    made.dropped_contact = contacts[3][0]
    _write(folder / "contacts_nightly.csv", ["contact_id", "account_id", "email"],
           [c for c in contacts if c[0] != made.dropped_contact])  # fmt: skip
    usage, sub_of = [], {s[1]: s[0] for s in subs}
    for account in ids:
        for _ in range(rng.randrange(5, 15)):
            day = AS_OF - timedelta(days=rng.randrange(0, 60))
            feature = rng.choice(["report.created", "export.run", "dashboard.viewed"])
            user = rng.choice(["", "u1", "u2", "u3"])
            count = rng.randrange(1, 50)
            by_sub = rng.random() < 0.4
            usage.append([
                "" if by_sub else account, sub_of[account] if by_sub else "", user, feature,
                day.strftime("%Y-%m-%d"), count,
            ])  # fmt: skip
    # the same (account, user, feature, day) twice would be a duplicate key: keep the first
    seen, kept = set(), []
    for row in usage:
        account = row[0] or next(s[1] for s in subs if s[0] == row[1])
        key = (account, row[1], row[2], row[3], row[4])
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
        if AS_OF - timedelta(days=28) < date.fromisoformat(row[4]) <= AS_OF:
            made.usage[(account, row[3])] = made.usage.get((account, row[3]), 0) + row[5]
    _write(folder / "usage.csv", ["Account", "Subscription", "User", "Event Name", "Event Date",
                                  "Usage Count"], kept)  # fmt: skip
    return made


@dataclass
class Done:
    returncode: int
    stdout: str


def _load(folder: Path, kind: str, file: str, *flags: str) -> Done:
    """``outsidein load KIND FILE`` run in ``folder`` (in this process: one import of the
    app for every load; the exit status and messages are the command's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setattr(console, "_width", 250)
        try:
            done = CliRunner().invoke(
                app, ["load", kind, file, "--db", "store/o.duckdb", *flags], catch_exceptions=False
            )
        except OutsideInError as exc:
            return Done(exc.exit_code, exc.message)
    return Done(done.exit_code, done.output)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    made = _company(tmp_path_factory.mktemp("sources"))
    for kind, file in [("accounts", "companies.csv"), ("subscriptions", "subscriptions.csv"),
                       ("churn_records", "churn.csv"), ("contacts", "contacts.csv"),
                       ("usage_daily", "usage.csv")]:  # fmt: skip
        done = _load(made.folder, kind, file)
        assert done.returncode == 0, done.stdout
        assert " 0 rejected" in done.stdout
    return made


def _con(company: Company) -> Any:
    return connect(company.folder / "store" / "o.duckdb", read_only=True)


def test_mrr_counts_the_upgrade_once_and_ends_churned_accounts(company: Company) -> None:
    con = _con(company)
    try:
        table = account_mrr(store_sources(con), AnalyticsConfig(), AS_OF).to_pyarrow()
    finally:
        con.close()
    got = {r["account_id"]: r["mrr"] for r in table.to_pylist() if r["mrr"] > 0}
    assert got == company.mrr
    assert got[company.upgraded] == PLANS["Growth"]  # not Starter + Growth


def test_logo_churn_follows_the_churn_records(company: Company) -> None:
    con = _con(company)
    try:
        bridge = mrr_bridge(store_sources(con), AnalyticsConfig(), START, AS_OF, "month")
        rows = bridge.to_pyarrow().to_pylist()
        churned_flag = {
            r[0] for r in con.execute("SELECT account_id FROM accounts WHERE churned").fetchall()
        }
    finally:
        con.close()
    by_month: dict[date, int] = defaultdict(int)
    for day in company.churned.values():
        # a subscription ended on day d has no MRR on d: that month loses the logo
        by_month[day.replace(day=1)] += 1
    assert {r["period_start"]: r["churned_customers"] for r in rows if r["churned_customers"]} == (
        dict(by_month)
    )
    assert sum(r["churned_customers"] for r in rows) == len(company.churned) == 4
    assert churned_flag == set(company.churned)


def test_usage_counts_match_the_file(company: Company) -> None:
    con = _con(company)
    try:
        table = feature_counts(store_sources(con), AS_OF, 28).to_pyarrow()
    finally:
        con.close()
    got = {(r["account_id"], r["feature"]): r["events"] for r in table.to_pylist()}
    assert got == company.usage


def test_nightly_full_lists_end_and_flag_what_is_missing(company: Company) -> None:
    subs = _load(company.folder, "subscriptions", "subscriptions_nightly.csv", "--full-refresh")
    assert subs.returncode == 0, subs.stdout
    assert (
        f"1 open subscription missing from this full list ended today: {company.dropped_sub}"
        in (subs.stdout)
    )
    people = _load(company.folder, "contacts", "contacts_nightly.csv", "--full-refresh")
    assert people.returncode == 0, people.stdout
    assert company.dropped_contact in people.stdout
    con = _con(company)
    try:
        ended = con.execute(
            "SELECT end_date, status FROM subscriptions WHERE subscription_id = ?",
            [company.dropped_sub],
        ).fetchall()
        flagged = con.execute("SELECT kind, record_id FROM removed_records").fetchall()
        kept = con.execute("SELECT count(*) FROM contacts").fetchall()[0][0]
        audited = con.execute(
            "SELECT target, detail->>'$.rows' FROM audit_log WHERE action = 'load.full_refresh' "
            "ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    assert ended == [(datetime.now(UTC).date(), "ended")]
    assert flagged == [("contacts", company.dropped_contact)] and kept == 20  # never deleted
    assert audited == [("subscriptions", "1"), ("contacts", "1")]


def test_full_refresh_refuses_other_kinds(company: Company) -> None:
    done = _load(company.folder, "accounts", "companies.csv", "--full-refresh")
    assert done.returncode == 2 and "--full-refresh is for subscriptions and contacts" in (
        done.stdout
    )
