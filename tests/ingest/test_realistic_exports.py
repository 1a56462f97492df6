"""Acceptance (issue 18): a typical SaaS company's exports load with one command each and a
mapping in outsidein.toml, no script, and the metrics match values computed here from the
files themselves.

The files are written here as a CRM, a billing system and a help desk export them:
title-case segments, a referral source and a plan tier, test accounts; subscriptions with no
ids and no status, amounts in cents, some per year; invoice line items, some void; tickets
with TRUE/FALSE flags; extra columns everywhere. Dates are US (``10/16/2024``,
``10/16/2024 14:05``), seat counts have thousands commas, and ``NA`` is a region (North
America), not a missing value.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from outsidein.analytics import AnalyticsConfig, account_mrr, store_sources
from outsidein.store import connect, custom_fields

AS_OF = date(2025, 6, 30)
SEGMENTS = {"Enterprise": "enterprise", "Mid-Market": "mid_market", "SMB": "smb"}

TOML = r"""
[load.accounts]
map = { "Company ID" = "account_id", "Company Name" = "name", "Create Date" = "created_at" }
values = { segment = { Enterprise = "enterprise", "Mid-Market" = "mid_market", SMB = "smb" } }
where = ['"Is Test Account" != true']

[load.subscriptions]
scale = { mrr = ["1/100", "1/12 if Interval = year"] }
derive = { status = "ended if \"Canceled At\" <= today; else active" }
key_from = ["Customer", "Product", "Started"]

[load.subscriptions.map]
Customer = "account_id"
Product = "plan"
"Amount (cents)" = "mrr"
Started = "start_date"
"Canceled At" = "end_date"

[load.invoices]
where = ["Status != void", '"Invoice Date" >= 2024-01-01']
group_by = "invoice_id"
sum = ["amount"]

[load.invoices.map]
"Invoice Number" = "invoice_id"
Customer = "account_id"
"Line Amount" = "amount"
"Invoice Date" = "issued_at"

[load.cases]
derive = { status = "closed if Resolved = true; else open" }

[load.cases.map]
"Ticket ID" = "case_id"
Organization = "account_id"
Created = "opened_at"
"Solved At" = "closed_at"

[formats.cases]
Created = "%m/%d/%Y %H:%M"
"""


@dataclass
class Company:
    """The files, and what a careful analyst computes from them by hand."""

    folder: Path
    mrr: dict[str, Decimal]
    invoices: dict[str, Decimal]
    open_cases: int
    plan_tiers: dict[str, str]
    test_accounts: int
    ended: int
    seats: dict[str, int]
    regions: dict[str, int]


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _us(value: date) -> str:
    """As US exports write it: ``10/16/2024``, or ``10/16/2024 14:05`` with a time."""
    if isinstance(value, datetime):
        return value.strftime("%m/%d/%Y %H:%M")
    return value.strftime("%m/%d/%Y")


def _company(folder: Path, seed: int = 18) -> Company:
    rng = random.Random(seed)
    accounts, subs, lines, tickets = [], [], [], []
    mrr: dict[str, Decimal] = defaultdict(Decimal)
    invoices: dict[str, Decimal] = defaultdict(Decimal)
    tiers: dict[str, str] = {}
    open_cases = tests = ended = 0
    seat_counts: dict[str, int] = defaultdict(int)
    regions: dict[str, int] = defaultdict(int)
    for n in range(1, 61):
        cid = f"HS-{1000 + n}"
        test = n % 15 == 0
        tests += test
        tier = rng.choice(["Pro", "Basic", "Enterprise Plus"])
        created = date(2024, 1, 1) + timedelta(days=rng.randrange(200))
        name = rng.choice(["O'Reilly Media", "Acme, Inc.", "Ünïcode GmbH", "Beta"]) + f" {n}"
        segment, region = rng.choice(list(SEGMENTS)), rng.choice(["EMEA", "NA", "LATAM"])
        regions[region] += not test
        accounts.append([cid, name, _us(created), segment,
                         region, rng.choice(["Google", "Partner", ""]),
                         tier, "TRUE" if test else "FALSE", rng.randrange(10, 5000)])  # fmt: skip
        if test:
            continue
        tiers[cid] = tier
        for product in rng.sample(["Core", "Analytics", "Seats Add-on"], rng.randrange(1, 3)):
            started = created + timedelta(days=rng.randrange(30))
            yearly = rng.random() < 0.3
            cents = rng.randrange(1000, 500_000)
            seats = rng.choice([1, 12, 250, 1200, 15000])
            seat_counts[cid] += seats
            canceled = (
                started + timedelta(days=rng.randrange(60, 500)) if rng.random() < 0.3 else None
            )
            ended += canceled is not None
            subs.append([cid, product, cents, "year" if yearly else "month", _us(started),
                         _us(canceled) if canceled else "", f"{seats:,}",
                         rng.choice(["TRUE", "FALSE"])])  # fmt: skip
            if started <= AS_OF and (canceled is None or canceled > AS_OF):
                monthly = Decimal(cents) / 100 / (12 if yearly else 1)
                mrr[cid] += monthly.quantize(Decimal("0.01"), ROUND_HALF_UP)
        for k in range(rng.randrange(1, 4)):
            number = f"INV-{n:03d}-{k}"
            void = rng.random() < 0.15
            issued = created + timedelta(days=30 * (k + 1))
            for _ in range(rng.randrange(1, 5)):
                amount = Decimal(rng.randrange(100, 100_000)) / 100
                lines.append([number, cid, f"{amount}", _us(issued),
                              "void" if void else "paid"])  # fmt: skip
                if not void:
                    invoices[number] += amount
        for k in range(rng.randrange(0, 3)):
            opened = datetime(created.year, created.month, created.day) + timedelta(
                days=rng.randrange(100), hours=rng.randrange(24)
            )
            resolved = rng.random() < 0.6
            open_cases += not resolved
            solved = _us(opened + timedelta(days=2)) if resolved else ""
            tickets.append([f"ZD-{n}-{k}", cid, _us(opened), solved,
                            rng.choice(["Low", "Normal", "High", "Urgent"]),
                            "TRUE" if resolved else "FALSE", rng.choice(["TRUE", "FALSE"]),
                            rng.randrange(1, 6)])  # fmt: skip
    crm = ["Company ID", "Company Name", "Create Date", "Segment", "Region", "Referral Source",
           "Plan Tier", "Is Test Account", "Employees"]  # fmt: skip
    _write(folder / "companies.csv", crm, accounts)
    _write(folder / "subscriptions.csv", ["Customer", "Product", "Amount (cents)", "Interval",
           "Started", "Canceled At", "Seats", "Trial"], subs)  # fmt: skip
    _write(folder / "invoice_lines.csv", ["Invoice Number", "Customer", "Line Amount",
           "Invoice Date", "Status"], lines)  # fmt: skip
    _write(folder / "tickets.csv", ["Ticket ID", "Organization", "Created", "Solved At",
           "Priority", "Resolved", "Escalated", "CSAT"], tickets)  # fmt: skip
    (folder / "outsidein.toml").write_text(TOML, encoding="utf-8")
    return Company(
        folder,
        dict(mrr),
        dict(invoices),
        open_cases,
        tiers,
        tests,
        ended,
        dict(seat_counts),
        dict(regions),
    )


def _load(folder: Path, kind: str, file: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", "load", kind, file, "--db", "store/o.duckdb"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    made = _company(tmp_path_factory.mktemp("exports"))
    for kind, file in [("accounts", "companies.csv"), ("subscriptions", "subscriptions.csv"),
                       ("invoices", "invoice_lines.csv"), ("cases", "tickets.csv")]:  # fmt: skip
        done = _load(made.folder, kind, file)
        assert done.returncode == 0, done.stdout + done.stderr
        assert " 0 rejected" in done.stdout and "Traceback" not in done.stderr
    return made


def test_each_file_loads_with_one_command(company: Company) -> None:
    again = _load(company.folder, "subscriptions", "subscriptions.csv")
    assert again.returncode == 0 and "already loaded" in again.stdout


def test_mrr_and_customers_match_the_files(company: Company) -> None:
    con = connect(company.folder / "store" / "o.duckdb", read_only=True)
    try:
        table = account_mrr(store_sources(con), AnalyticsConfig(), AS_OF).to_pyarrow()
    finally:
        con.close()
    got = {r["account_id"]: r["mrr"] for r in table.to_pylist() if r["mrr"] > 0}
    expected = {k: v for k, v in company.mrr.items() if v > 0}
    assert got == expected
    assert len(got) == len(expected) > 10  # customers
    assert sum(got.values()) == sum(expected.values())


def test_invoice_lines_become_invoices_with_their_totals(company: Company) -> None:
    con = connect(company.folder / "store" / "o.duckdb", read_only=True)
    try:
        stored = dict(con.execute("SELECT invoice_id, amount FROM invoices").fetchall())
        accounts = con.execute("SELECT count(*), count(DISTINCT segment) FROM accounts").fetchall()
        segments = {s for (s,) in con.execute("SELECT DISTINCT segment FROM accounts").fetchall()}
        open_cases = con.execute("SELECT count(*) FROM cases WHERE status = 'open'").fetchall()
        tiers = custom_fields.values(con, "accounts", ["plan_tier", "referral_source"]).to_pylist()
        kinds = {(f["entity"], f["name"]): f["type"] for f in custom_fields.fields(con)}
    finally:
        con.close()
    assert stored == company.invoices
    assert accounts == [(60 - company.test_accounts, 3)]
    assert segments == set(SEGMENTS.values())
    assert open_cases == [(company.open_cases,)]
    assert {r["account_id"]: r["plan_tier"] for r in tiers} == company.plan_tiers
    assert kinds == {
        ("accounts", "plan_tier"): "text",
        ("accounts", "referral_source"): "text",
        ("cases", "csat"): "number",
        ("cases", "escalated"): "bool",
        ("subscriptions", "trial"): "bool",
    }


def test_us_dates_thousands_and_na_load_as_written(company: Company) -> None:
    """US dates read as M/D/YYYY (conditions included), ``1,200`` seats, ``NA`` a region."""
    con = connect(company.folder / "store" / "o.duckdb", read_only=True)
    try:
        ended = con.execute("SELECT count(*) FROM subscriptions WHERE status = 'ended'").fetchall()
        seats = dict(
            con.execute("SELECT account_id, sum(seats) FROM subscriptions GROUP BY 1").fetchall()
        )
        regions = dict(con.execute("SELECT region, count(*) FROM accounts GROUP BY 1").fetchall())
        days = con.execute(
            "SELECT min(start_date), max(start_date), min(opened_at) FROM subscriptions, cases"
        ).fetchall()[0]
    finally:
        con.close()
    assert ended == [(company.ended,)] and company.ended > 0
    assert seats == company.seats
    assert regions == company.regions and regions["NA"] > 0
    assert days[0] >= date(2024, 1, 1) and days[1] <= date(2024, 9, 1)
