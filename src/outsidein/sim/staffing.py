"""The CSM team as it stands at the end of the simulation, with its ground truth.

Books were dealt in proportion to each CSM's capacity over the whole history (some end over
it: :mod:`outsidein.sim.company`). Two staffing changes are planted at the end, with no
random draw (the rest of the company stays byte for byte the same), so the team page has
something to rebalance:

* **part-time** — the CSM dealt the most accounts (the lowest number on a tie) went
  part-time this month: the ``capacity`` written is half their capacity, their book
  unchanged, so it is over capacity now;
* **new hire** — a CSM joined this month with an empty book and :data:`NEW_HIRE_CAPACITY`.

``ground_truth/team.parquet`` holds, per CSM: the capacity written, the capacity before the
change, the accounts dealt to them (every account, customer or not) and ``change``
(``part_time``, ``new_hire`` or null).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from outsidein.sim import names as nm
from outsidein.sim.company import Company

__all__ = ["NEW_HIRE_CAPACITY", "csms_table", "team_truth", "write_truth"]

NEW_HIRE_CAPACITY = 60


def _new_name(taken: set[str]) -> str:
    """The first first-and-last name of the lists no CSM has yet."""
    for last in nm.LAST_NAMES:
        for first in nm.FIRST_NAMES:
            if f"{first} {last}" not in taken:
                return f"{first} {last}"
    return "New Hire"


def team_truth(company: Company) -> pa.Table:
    """Every CSM with the capacity written and before, accounts dealt and the change."""
    before = company.csm_capacity.astype(np.int64)
    dealt = np.bincount(company.csm, minlength=len(before)).astype(np.int64)
    part_time = int(np.argmax(dealt))
    now = before.copy()
    now[part_time] = before[part_time] // 2
    change: list[str | None] = [None] * len(before)
    change[part_time] = "part_time"
    ids = company.csm_ids.to_pylist()
    people = company.csm_names.to_pylist()
    new_id = f"CSM-{len(ids) + 1:03d}"
    new_name = _new_name({str(p) for p in people})
    return pa.table(
        {
            "csm_id": pa.array([*ids, new_id], pa.string()),
            "name": pa.array([*people, new_name], pa.string()),
            "capacity": pa.array([*now.tolist(), NEW_HIRE_CAPACITY], pa.int32()),
            "capacity_before": pa.array([*before.tolist(), None], pa.int32()),
            "accounts_dealt": pa.array([*dealt.tolist(), 0], pa.int32()),
            "change": pa.array([*change, "new_hire"], pa.string()),
        }
    )


def csms_table(company: Company) -> pa.Table:
    """The CRM's CSM list at the end: ``csm_id, name, email, capacity``."""
    team = team_truth(company)
    emails = [
        f"{str(n).lower().replace(' ', '.')}@{nm.VENDOR_DOMAIN}"
        for n in team.column("name").to_pylist()
    ]
    return pa.table(
        {
            "csm_id": team.column("csm_id"),
            "name": team.column("name"),
            "email": pa.array(emails, pa.string()),
            "capacity": team.column("capacity"),
        }
    )


def write_truth(path: Path, company: Company) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(team_truth(company), path)
