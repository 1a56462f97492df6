"""The support tool's view of some contacts: a Zendesk users export, for the demo.

A support tool knows the people who write to it under its own ids, sometimes under the
CRM's address (``Jo.Park@acme.example``, another case) and sometimes under another one at
the same company (``j.park@acme.example``). One contact in ``EVERY`` (40) appears there,
alternately in those two ways; ``outsidein demo`` loads the file as Zendesk's with the
declared key ``email``, so the first kind land on their contacts at once and the second are
suggested on the Identity page to confirm. Contacts whose address another contact shares
are left out (the key cannot tell them apart). Ground truth,
``ground_truth/contact_identity.parquet``: which Zendesk user is which contact, and how.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

EVERY = 40
FILE = Path("exports") / "zendesk_users.csv"
TRUTH = Path("ground_truth") / "contact_identity.parquet"
COLUMNS = ["id", "name", "email", "organization_id", "iana_time_zone", "role"]


def write_support_users(out: Path, contacts: pa.Table) -> int:
    """Write the export and its ground truth under ``out``; the number of users."""
    rows = contacts.select(["contact_id", "account_id", "name", "email", "timezone"]).to_pylist()
    shared = Counter(r["email"].lower() for r in rows)
    picked = [r for r in rows[::EVERY] if shared[r["email"].lower()] == 1]
    users, truth = [], []
    for i, r in enumerate(picked):
        local, _, domain = r["email"].partition("@")
        first, _, last = local.partition(".")
        by_key = i % 2 == 0
        email = r["email"].title() if by_key else f"{first[:1]}.{last}@{domain}"
        user = f"zd_{90000 + i}"
        users.append([user, r["name"], email, r["account_id"], r["timezone"], "end-user"])
        truth.append((user, r["contact_id"], "email" if by_key else "name+domain"))
    path = out / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(users)
    (out / TRUTH).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "user_id": [t[0] for t in truth],
                "contact_id": [t[1] for t in truth],
                "linked_by": [t[2] for t in truth],
            }
        ),
        out / TRUTH,
    )
    return len(users)
