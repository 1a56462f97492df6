"""What the CRM and a mobile analytics tool export beside billing: churn records with reasons,
and aggregated usage counts, with the imperfections real exports have.

* Churn records: most churned accounts have one, dated the end of their last subscription,
  with a reason from the true churn drivers; some have none (revenue-only churn), a few are
  dated well after the subscription ended (dates differ), and a few accounts still paying
  are recorded as churned (CRM-only). Ground truth: ``ground_truth/crm.json``.
* Usage counts: a sixth of the customers at the end use the mobile app, exported as one
  user-less row per account and working day of the last 30 days (``mobile.session``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from outsidein.sim.streams import stream
from outsidein.sim.world import DRIVERS, World
from outsidein.sim.writer import make_ids

REASONS = {
    "low_health": "Not getting value",
    "champion_left": "Champion left",
    "support_incidents": "Support and reliability",
    "budget_cut": "Budget cuts",
    "unmet_needs": "Missing features",
}
RECORDED_SHARE = 0.85
LATE_SHARE = 0.05
LATE_DAYS = 45
MOBILE_FEATURE = "mobile.session"
MOBILE_DAYS = 30


def churn_records(seed: int, world: World) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The CRM's churn records (columns for the writer) and their ground truth."""
    rng = stream(seed, "crm", "churn")
    co = world.company
    ids = np.asarray(co.account_ids.to_pylist(), dtype=object)
    churned = np.flatnonzero(world.churned & (world.churn_day >= 0))
    recorded = churned[rng.random(churned.size) < RECORDED_SHARE]
    unrecorded = np.setdiff1d(churned, recorded)
    late = recorded[rng.random(recorded.size) < LATE_SHARE]
    paying = np.flatnonzero(~world.churned & (world.plan[:, -1] >= 0))
    crm_only = rng.choice(paying, size=min(paying.size, max(1, co.n // 250)), replace=False)
    crm_only.sort()
    days = world.churn_day[recorded].astype(np.int64)
    days = np.where(np.isin(recorded, late), days + LATE_DAYS, days)
    days = np.minimum(days, world.window.end_day - 1)
    reasons = [_reason(int(f)) for f in world.driver_flags[recorded].tolist()]
    involuntary = rng.random(recorded.size) < 0.15
    refunds = np.where(rng.random(recorded.size) < 0.1, rng.integers(50, 500, recorded.size), -1)
    accounts = np.concatenate([recorded, crm_only])
    all_days = np.concatenate([days, np.full(crm_only.size, world.window.end_day - 20)])
    order = np.lexsort((accounts, all_days))
    kinds = (
        np.where(involuntary, "involuntary", "voluntary").tolist() + ["voluntary"] * crm_only.size
    )
    reason_list = reasons + ["Budget cuts"] * crm_only.size
    feedback = [
        "Payment failed and was not renewed" if k == "involuntary" else f"Told us: {r.lower()}"
        for k, r in zip(kinds, reason_list, strict=True)
    ]
    columns = {
        "churn_id": make_ids("CHURN-", 1, accounts.size, 6),
        "account_id": pa.array(ids[accounts][order].tolist(), pa.string()),
        "churned_at": all_days[order],
        "type": pa.array([kinds[i] for i in order], pa.string()),
        "reason": pa.array([reason_list[i] for i in order], pa.string()),
        "feedback": pa.array([feedback[i] for i in order], pa.string()),
        "refund": np.concatenate([refunds, np.full(crm_only.size, -1)])[order].astype(np.float64),
    }
    columns["refund"] = np.where(columns["refund"] < 0, np.nan, columns["refund"])
    truth = {
        "recorded": sorted(ids[recorded].tolist()),
        "unrecorded": sorted(ids[unrecorded].tolist()),
        "dates_differ": sorted(ids[late].tolist()),
        "crm_only": sorted(ids[crm_only].tolist()),
    }
    return columns, truth


def usage_counts(seed: int, world: World) -> tuple[dict[str, Any], dict[str, int]]:
    """Mobile usage as daily counts per account, without users, and their totals."""
    rng = stream(seed, "crm", "mobile")
    co = world.company
    ids = np.asarray(co.account_ids.to_pylist(), dtype=object)
    paying = np.flatnonzero(world.plan[:, -1] >= 0)
    users = paying[rng.random(paying.size) < 1 / 6]
    end = world.window.end_day
    days = np.arange(end - MOBILE_DAYS, end, dtype=np.int64)
    working = days[(days + 3) % 7 < 5]  # 1970-01-01 was a Thursday: Monday is (d + 3) % 7 == 0
    account = np.repeat(users, working.size)
    day = np.tile(working, users.size)
    seats = np.maximum(world.seats[account, -1], 1)
    count = rng.poisson(0.3 * seats).astype(np.int64)
    keep = count > 0
    columns = {
        "account_id": pa.array(ids[account[keep]].tolist(), pa.string()),
        "feature": pa.array([MOBILE_FEATURE] * int(keep.sum()), pa.string()),
        "day": day[keep],
        "count": count[keep],
    }
    columns["usage_id"] = make_ids("USG-", 1, int(keep.sum()), 8)
    return columns, {"accounts": int(np.unique(account[keep]).size), "events": int(count.sum())}


def _reason(flags: int) -> str:
    names = [d for i, d in enumerate(DRIVERS) if flags >> i & 1]
    return REASONS[names[0]] if names else "Other"


def write_truth(path: Path, churn: dict[str, list[str]], usage: dict[str, int]) -> None:
    """``ground_truth/crm.json``: which churns the CRM recorded, missed or made up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"churn_records": churn, "usage_daily": usage}
    path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
