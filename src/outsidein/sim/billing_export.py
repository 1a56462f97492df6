"""The billing system's view of some customers: a Stripe customers export, for the demo.

A company's billing tool knows its customers under its own ids and often under slightly
different names (``ACME LABS, Inc.`` for the CRM's ``Acme Labs``). One account in
``EVERY`` (100) appears there, named in one of those ways; ``outsidein demo`` loads the file as
Stripe's (``--profile stripe-customers``), and the Identity page then suggests each pair to
confirm. Ground truth, ``ground_truth/identity.parquet``: which customer is which account.
"""

from __future__ import annotations

import csv
from datetime import UTC
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

EVERY = 100
FILE = Path("exports") / "stripe_customers.csv"
TRUTH = Path("ground_truth") / "identity.parquet"


def write_billing_customers(out: Path, accounts: pa.Table) -> int:
    """Write the export and its ground truth under ``out``; the number of customers."""
    ids = accounts.column("account_id").to_pylist()[::EVERY]
    names = accounts.column("name").to_pylist()[::EVERY]
    created = accounts.column("created_at").to_pylist()[::EVERY]
    rows = []
    for i, (account, name, when) in enumerate(zip(ids, names, created, strict=True)):
        variant = f"{name.upper()}, Inc." if i % 2 == 0 else f"{name} Ltd"
        slug = "".join(c for c in name.lower() if c.isalnum())
        stamp = int(when.replace(tzinfo=UTC).timestamp())
        rows.append((f"cus_sim{i:05d}", stamp, f"billing@{slug}.example", variant, account))
    path = out / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created", "email", "name"])
        writer.writerows(row[:4] for row in rows)
    (out / TRUTH).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"customer_id": [r[0] for r in rows], "account_id": [r[4] for r in rows]}),
        out / TRUTH,
    )
    return len(rows)
