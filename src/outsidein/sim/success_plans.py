"""Success plans agreed with the simulated company's largest customers, with their truth
(docs/plans.md#on-the-demo).

The simulator knows each account's seats in use month by month (``World.seats``), which
drive its product usage; a plan's measure is the snapshot's ``active_users_28`` (or the
value formula ``events_28 * 0.5``, "hours saved"), which move with them. Among the customers
with the most seats that were customers throughout the last seven months:

* accounts whose seats grew by 30 % or more get an **achievable** plan: a target halfway
  along the growth they really had, at most +30 % (truth: ``achieved``);
* accounts whose seats fell by 15 % or more get a **stretch** plan: +50 % (truth:
  ``behind``: at risk or off track), half of them already past their due date (off track),
  half due in 18 months (behind the line: at risk or off track).

The plans file names the target as a ratio of the baseline; the baseline is the measure on
the start date as the data shows it (what a CSM writes down when agreeing the plan), so it
is resolved once the data is loaded (:func:`outsidein.plans.planted.plant`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outsidein.sim.calendar import day_number, to_date
from outsidein.sim.world import World

__all__ = ["PLANS_FILE", "write_success_plans"]

PLANS_FILE = "success_plans.json"
LOOK_BACK = 6  # months before the last the plans started
MAX_PLANS = 24
MIN_SEATS = 15  # fewer users in use make a noisy measure
GROWTH_CAP = 1.6  # a target at most 30 % up: usage does not follow seats one for one


def _months(world: World) -> tuple[int, int]:
    """``(first, last)``: the month the baseline's 28 days fall in (the one before the start
    date) and the last full month (the 28 days before today fall mostly in it)."""
    bounds = world.window.bounds
    last = len(bounds) - 2 if bounds[-1] - bounds[-2] >= 28 else len(bounds) - 3
    return last - LOOK_BACK, last


def _plan(world: World, a: int, kind: str, n: int) -> dict[str, Any]:
    window = world.window
    first, last = _months(world)
    start = to_date(int(window.bounds[first + 1]))
    seats = world.seats[a]
    growth = float(seats[last] / seats[first])
    account = str(world.company.account_ids[a])
    csm = str(world.company.csm_ids[int(world.company.csm[a])])
    formula = n % 3 == 2
    measure_kind, measure, unit, title = (
        ("formula", "events_28 * 0.5", "hours saved", "Save the team's reporting time")
        if formula
        else ("metric", "active_users_28", "active users", "Roll the product out to the team")
    )
    if kind == "achievable":
        ratio, truth = 1 + 0.5 * (min(growth, GROWTH_CAP) - 1), "achieved"
        due = to_date(int(window.bounds[-1]) + 90)
    else:
        ratio, truth = 1.5, "behind"
        past = n % 2 == 0
        due = to_date(int(window.bounds[-1]) + (-20 if past else 540))
    mid = to_date((int(window.bounds[first + 1]) + day_number(due)) // 2)
    return {
        "plan_id": f"SP-{n + 1:03d}",
        "account_id": account,
        "title": title,
        "measure_kind": measure_kind,
        "measure": measure,
        "unit": unit,
        "target_ratio": round(ratio, 4),
        "start_date": start.isoformat(),
        "due_date": due.isoformat(),
        "owner": csm,
        "milestones": [{"title": "Halfway", "due_date": mid.isoformat(), "share": 0.5}],
        "truth": truth,
        "seats_growth": round(growth, 4),
    }


def write_success_plans(world: World, out: Path, truth_path: Path) -> int:
    """Write the plans (``out``/success_plans.json) and their truth; how many were planted."""
    seats = world.seats
    if seats.shape[1] <= LOOK_BACK + 2:
        return 0
    first, last = _months(world)
    steady: NDArray[np.bool_] = np.asarray((seats[:, first : last + 1] > 0).all(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(steady, seats[:, last] / np.maximum(seats[:, first], 1), 0.0)
    # the customers with the most seats (the high-touch kind), largest first
    order = [int(a) for a in np.argsort(-seats[:, last], kind="stable") if steady[a]]
    top = order[: max(len(order) // 3, 1)]
    big = [a for a in top if seats[a, first] >= MIN_SEATS]
    grew = [a for a in big if growth[a] >= 1.3]
    flat = [a for a in big if growth[a] <= 0.85]
    half = MAX_PLANS // 2
    chosen = [(a, "achievable") for a in grew[:half]] + [(a, "stretch") for a in flat[:half]]
    plans = [_plan(world, a, kind, n) for n, (a, kind) in enumerate(chosen)]
    (out / PLANS_FILE).write_text(
        json.dumps([{k: v for k, v in p.items() if k not in ("truth", "seats_growth")}
                    for p in plans], indent=2) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    truth = {p["plan_id"]: {"truth": p["truth"], "seats_growth": p["seats_growth"]} for p in plans}
    truth_path.write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return len(plans)
