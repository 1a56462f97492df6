"""The simulator's success plans, agreed on the demo company (docs/plans.md#on-the-demo).

Its file gives each plan's target as a ratio of the baseline; the baseline is the measure on
the start date as the loaded data shows it, read through the one reading of a measure
(:func:`outsidein.plans.progress.values_on`), as a CSM would write it down that day.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from outsidein.plans.progress import values_on
from outsidein.plans.records import Milestone, Plan, create_plan, list_plans

__all__ = ["plant"]


def plant(con: duckdb.DuckDBPyConnection, path: Path, *, actor: str = "outsidein demo") -> int:
    """Create the plans of ``path`` not stored yet; how many were created (a plan whose
    measure has no value on its start date is left out)."""
    known = {p.plan_id for p in list_plans(con)}
    made = 0
    for row in json.loads(path.read_text(encoding="utf-8")):
        if row["plan_id"] in known:
            continue
        draft = Plan(
            plan_id=row["plan_id"], account_id=row["account_id"], title=row["title"],
            measure_kind=row["measure_kind"], measure=row["measure"], unit=row.get("unit"),
            baseline=0.0, target=1.0, start_date=date.fromisoformat(row["start_date"]),
            due_date=date.fromisoformat(row["due_date"]), owner=row.get("owner"),
        )  # fmt: skip
        baseline = values_on(con, [draft], draft.start_date).get(draft.plan_id)
        if not baseline:  # no data then, or zero: no ratio to aim at
            continue
        target = round(baseline * float(row["target_ratio"]), 1)
        if target == round(baseline, 1):
            continue
        stones = tuple(
            Milestone(m["title"], date.fromisoformat(m["due_date"]),
                      round(baseline + m["share"] * (target - baseline), 1))
            for m in row.get("milestones", [])
        )  # fmt: skip
        plan = Plan(**{**draft.__dict__, "baseline": round(baseline, 1), "target": target,
                       "milestones": stones})  # fmt: skip
        create_plan(con, plan, actor=actor)
        made += 1
    return made
