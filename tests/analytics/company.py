"""A small company whose every figure was worked out by hand (see test_revenue.py etc.).

Reporting currency USD; EUR = 1.10, GBP = 1.25. Subscriptions (end dates are exclusive:
the first day no longer active):

=====  ====  ========  ===  ==========  ==========  ============================================
sub    acct  mrr       cur  start       end         edge case
=====  ====  ========  ===  ==========  ==========  ============================================
S1a    A1    100.00    USD  2023-11-01  2024-02-10  upgrade (S1b) and downgrade (S1c) in February
S1b    A1    300.00    USD  2024-02-10  2024-02-20
S1c    A1    150.00    USD  2024-02-20  -           5 seats
S2a    A2    200.00    USD  2023-12-01  2024-03-05  upgrade then downgrade below start in March
S2b    A2    500.00    USD  2024-03-05  2024-03-20
S2c    A2    120.00    USD  2024-03-20  -
S3a    A3     50.15    EUR  2023-10-15  2024-02-01  = 55.165 -> 55.17 USD; churns in February
S3b    A3     80.00    USD  2024-04-10  -           reactivation in April
S4     A4     75.50    USD  2024-01-17  2024-05-13  mid-month start and end
S5a    A5   1000.00    USD  2023-06-01  -           overlapping add-on S5b
S5b    A5    250.00    USD  2024-03-15  2024-04-20
S6a    A6      0.00    USD  2023-09-01  2024-03-01  zero-MRR (free) plan, then paid
S6b    A6     40.00    USD  2024-03-01  -
S7     A7    300.00    USD  2024-05-06  -           its only events predate the subscription
S8     A8     60.00    USD  2024-02-05  2024-02-25  starts and ends inside one month
S9     A9    400.00    GBP  2022-08-01  2024-08-01  = 500.00 USD; renews in 47 days on 06-15
S10a   A10    10.00    USD  2023-09-14  2024-09-13  ends exactly 90 days after 2024-06-15
S10b   A10     5.00    USD  2023-09-14  2024-09-14  ends 91 days after 2024-06-15
=====  ====  ========  ===  ==========  ==========  ============================================

Segments: A5 and A9 are "Enterprise", the others "SMB".

Contracts (A2, A3, A4, A6 and A8 have none: each of their subscriptions is its own evergreen
monthly contract). Next renewal after 2024-06-15:

========  ====  ==========  ======  ==========  ==========  ================================
contract  acct  term start  months  billing     renews      edge case
========  ====  ==========  ======  ==========  ==========  ================================
C1        A1    2023-11-01  12      annual      2024-11-01  mid-term upgrade and downgrade
C5        A5    2023-06-01  24      annual      2025-06-01  renewal date far off
C7        A7    2024-05-06  3       quarterly   2024-08-06  52 days left
C9        A9    2022-08-01  24      multi_year  2024-08-01  47 days; no auto-renew, cancelled
C10       A10   2023-09-13  12      annual      2024-09-13  exactly 90 days; two subscriptions
========  ====  ==========  ======  ==========  ==========  ================================
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from outsidein.analytics import AnalyticsConfig
from outsidein.ingest import load_file

CONFIG = AnalyticsConfig(
    reporting_currency="USD",
    currency_rates={"EUR": Decimal("1.10"), "GBP": Decimal("1.25")},
    key_features=["report.created", "dashboard.shared", "export.run", "alert.set"],
    value_event="report.created",
)
AS_OF = date(2024, 6, 15)

ACCOUNTS = [
    ("A1", "Upgrade Downgrade Ltd", "SMB", "2023-10-20"),
    ("A2", "Up Then Down Inc", "SMB", "2023-11-15"),
    ("A3", "Comeback GmbH", "SMB", "2023-10-01"),
    ("A4", "Midmonth Co", "SMB", "2024-01-10"),
    ("A5", "Overlap Corp", "Enterprise", "2023-05-20"),
    ("A6", "Freemium Labs", "SMB", "2023-08-25"),
    ("A7", "Early Bird Pty", "SMB", "2023-12-01"),
    ("A8", "Blink Ltd", "SMB", "2024-02-01"),
    ("A9", "Steady plc", "Enterprise", "2021-12-01"),
    ("A10", "Boundary Co", "SMB", "2023-09-01"),
]

SUBSCRIPTION_HEADER = ["subscription_id", "account_id", "plan", "mrr", "currency", "seats"]
SUBSCRIPTION_HEADER += ["start_date", "end_date", "status", "contract_id"]
SUBSCRIPTIONS = [
    ("S1a", "A1", "Starter", "100.00", "USD", "", "2023-11-01", "2024-02-10", "ended", "C1"),
    ("S1b", "A1", "Business", "300.00", "USD", "", "2024-02-10", "2024-02-20", "ended", "C1"),
    ("S1c", "A1", "Growth", "150.00", "USD", "5", "2024-02-20", "", "active", "C1"),
    ("S2a", "A2", "Growth", "200.00", "USD", "", "2023-12-01", "2024-03-05", "ended", ""),
    ("S2b", "A2", "Business", "500.00", "USD", "", "2024-03-05", "2024-03-20", "ended", ""),
    ("S2c", "A2", "Starter", "120.00", "USD", "", "2024-03-20", "", "active", ""),
    ("S3a", "A3", "Starter", "50.15", "EUR", "", "2023-10-15", "2024-02-01", "churned", ""),
    ("S3b", "A3", "Starter", "80.00", "USD", "", "2024-04-10", "", "active", ""),
    ("S4", "A4", "Starter", "75.50", "USD", "", "2024-01-17", "2024-05-13", "churned", ""),
    ("S5a", "A5", "Enterprise", "1000.00", "USD", "50", "2023-06-01", "", "active", "C5"),
    ("S5b", "A5", "Add-on", "250.00", "USD", "", "2024-03-15", "2024-04-20", "ended", "C5"),
    ("S6a", "A6", "Free", "0.00", "USD", "", "2023-09-01", "2024-03-01", "ended", ""),
    ("S6b", "A6", "Starter", "40.00", "USD", "", "2024-03-01", "", "active", ""),
    ("S7", "A7", "Business", "300.00", "USD", "", "2024-05-06", "", "active", "C7"),
    ("S8", "A8", "Starter", "60.00", "USD", "", "2024-02-05", "2024-02-25", "churned", ""),
    ("S9", "A9", "Enterprise", "400.00", "GBP", "", "2022-08-01", "2024-08-01", "active", "C9"),
    ("S10a", "A10", "Starter", "10.00", "USD", "", "2023-09-14", "2024-09-13", "active", "C10"),
    ("S10b", "A10", "Add-on", "5.00", "USD", "", "2023-09-14", "2024-09-14", "active", "C10"),
]
CONTRACT_HEADER = ["contract_id", "account_id", "term_start", "term_months", "billing_period"]
CONTRACT_HEADER += ["auto_renew", "cancellation_reason"]
CONTRACTS = [
    ("C1", "A1", "2023-11-01", "12", "annual", "true", ""),
    ("C5", "A5", "2023-06-01", "24", "annual", "true", ""),
    ("C7", "A7", "2024-05-06", "3", "quarterly", "true", ""),
    ("C9", "A9", "2022-08-01", "24", "multi_year", "false", "Moving to an in-house tool"),
    ("C10", "A10", "2023-09-13", "12", "annual", "true", ""),
]

# (account, user, event, timestamp). A1's events sit on the edges of the windows ending
# 2024-06-15: 7 days = 06-09..06-15, 28 = 05-19..06-15, 90 = 03-18..06-15, and the
# previous windows 06-02..06-08, 04-21..05-18, 2023-12-19..03-17.
EVENTS = [
    ("A1", "u1", "report.created", "2024-06-15 10:00:00"),
    ("A1", "u1", "login", "2024-06-15 11:00:00"),
    ("A1", "u2", "dashboard.shared", "2024-06-14 09:00:00"),
    ("A1", "u3", "login", "2024-06-09 00:00:00"),
    ("A1", "u4", "login", "2024-06-08 23:59:00"),
    ("A1", "u4", "export.run", "2024-05-19 12:00:00"),
    ("A1", "u1", "alert.set", "2024-05-18 12:00:00"),
    ("A1", "u2", "login", "2024-03-18 08:00:00"),
    ("A1", "u3", "login", "2024-03-17 08:00:00"),
    ("A1", "u1", "report.created", "2024-01-05 08:00:00"),
    ("A1", "u1", "login", "2023-12-19 08:00:00"),
    ("A1", "u2", "login", "2023-12-18 08:00:00"),
    ("A7", "u70", "login", "2023-12-10 09:00:00"),
    ("A7", "u70", "report.created", "2023-12-10 09:30:00"),
    ("A7", "u71", "login", "2024-01-20 14:00:00"),
    ("A9", "u90", "login", "2024-06-01 09:00:00"),
]


def write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load_company(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Write the company as CSV files in ``folder`` and load them with the real loader."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "accounts": write_csv(
            folder / "accounts.csv", ["account_id", "name", "segment", "created_at"], ACCOUNTS
        ),
        "contracts": write_csv(folder / "contracts.csv", CONTRACT_HEADER, CONTRACTS),
        "subscriptions": write_csv(
            folder / "subscriptions.csv",
            SUBSCRIPTION_HEADER,
            SUBSCRIPTIONS,
        ),
        "events": write_events(folder / "events.csv", EVENTS, "m"),
    }
    for kind, path in files.items():
        result = load_file(con, kind, path)
        assert result.rows_rejected == 0, result.rejects


def write_events(path: Path, events: list[tuple[str, str, str, str]], prefix: str) -> Path:
    rows = [(f"{prefix}{i}", *event) for i, event in enumerate(events)]
    return write_csv(path, ["message_id", "account_id", "user_id", "event", "timestamp"], rows)
