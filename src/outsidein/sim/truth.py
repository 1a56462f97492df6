"""Ground truth: what really happened, so analytics and models can be checked against it.

Latent health per account-month, churn with its drivers, the needs segments, the planted
success-plan experiment with its exact causal effect, and a manifest of the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from outsidein.sim.calendar import NEVER, US_PER_DAY, add_months, months_between, to_date
from outsidein.sim.catalog import FEATURES
from outsidein.sim.needs import planted_release, survey_waves
from outsidein.sim.people import Directory
from outsidein.sim.purchases import HORIZON_WEEKS, TRUTH, Buyers, expected_next
from outsidein.sim.surveys import NPS_BASE, NPS_SLOPE, outcome_id
from outsidein.sim.usage import adoption_months
from outsidein.sim.world import (
    DRIVERS,
    TREATMENT_DELTA,
    TREATMENT_NAME,
    TREATMENT_SHARE,
    TREATMENT_THRESHOLD,
    World,
)

I64 = NDArray[np.int64]


def _dates(days: I64) -> pa.Array:
    missing = days < 0
    return pa.array(np.where(missing, 0, days).astype(np.int32), mask=missing).view(pa.date32())


def _write(path: Path, table: pa.Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", store_schema=False)


def _json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def drivers_text(flags: I64) -> list[str]:
    """Comma-separated churn drivers from their bit flags ("other" when none applied)."""
    out = []
    for f in flags.tolist():
        names = [d for i, d in enumerate(DRIVERS) if f >> i & 1]
        out.append(",".join(names) or "other")
    return out


def write_accounts(path: Path, world: World, broken_handoffs: I64) -> None:
    """One row per account.

    ``churned`` means churned and not back at the end (``churn_date`` is then the end date
    of its last subscription, a renewal date of its contract: the end of a term, or any
    monthly anniversary of a month-to-month contract); ``reactivated`` accounts came back
    once, on a new contract whose renewal dates later churn follows. ``broken_handoffs``
    counts hand-offs (``handed_to`` set) the receiving function never followed up, among
    those made at least 7 days before ``as_of``.
    """
    co = world.company
    churned = world.churned
    idx = np.flatnonzero(churned)
    drivers = np.full(co.n, None, dtype=object)
    drivers[idx] = drivers_text(world.driver_flags[idx])
    seg_names = pa.array(world.needs.names)
    _write(
        path,
        pa.table(
            {
                "account_id": co.account_ids,
                "needs_segment": pa.array(co.needs_segment, pa.int32()),
                "needs_segment_name": seg_names.take(pa.array(co.needs_segment)),
                "churned": pa.array(churned),
                "churn_date": _dates(np.where(churned, world.churn_day, -1)),
                "churn_drivers": pa.array(drivers, pa.string()),
                "eligible": pa.array(world.eligible),
                "treated": pa.array(world.treated),
                "treatment_date": _dates(world.treatment_day),
                "reactivated": pa.array(world.reactivation_day >= 0),
                "reactivated_at": _dates(world.reactivation_day),
                "champion_left_date": _dates(world.champion_left_day),
                "csm_overloaded": pa.array(co.csm_overloaded),
                "broken_handoffs": pa.array(broken_handoffs, pa.int32()),
            }
        ),
    )


def write_health(path: Path, world: World) -> int:
    """One row per account and month from the account's first month; returns the row count."""
    exists = ~np.isnan(world.health)
    acc, month = np.nonzero(exists)
    firsts = pa.array(world.window.bounds[:-1][month].astype(np.int32)).view(pa.date32())
    table = pa.table(
        {
            "account_id": world.company.account_ids.take(pa.array(acc)),
            "month": firsts,
            "health": np.round(world.health[acc, month], 4),
            "health_without_intervention": np.round(world.health_cf[acc, month], 4),
        }
    )
    _write(path, table)
    return int(table.num_rows)


def write_churn_risk(path: Path, world: World) -> int:
    """One row per renewal date of a paying customer: its true churn probability there.

    Churn happens only on renewal dates, so the true probability that an account churns
    between two days is one minus the product of ``1 - churn_probability`` over its renewal
    dates between them: the oracle a churn model's backtest is compared with. The latent
    health that sets it is the realised one, so the oracle also knows the shocks still to
    come after an observation day. Returns the row count.
    """
    risk = world.churn_risk
    table = pa.table(
        {
            "account_id": world.company.account_ids.take(pa.array(risk["account"])),
            "renewal_date": _dates(risk["day"].astype(np.int64)),
            "churn_probability": np.round(risk["p"].astype(np.float64), 6),
        }
    )
    _write(path, table)
    return int(table.num_rows)


PROMOTER_SCORE = 9  # an NPS answer of 9 or 10
BROAD_ADOPTION = 0.7  # share of the key features adopted


def write_advocates(path: Path, seed: int, world: World, people: Directory) -> int:
    """One row per account: is it truly an advocate at the end of the window?

    ``promoter``: a customer at the end whose latent health in the last month makes its
    expected NPS answer a promoter's (``NPS_BASE + NPS_SLOPE x health >= 9``: the answers
    scatter around it); ``adoption``: the share of the key features (those adopted over
    time, not Login and Dashboard) it had adopted by the last month, as usage draws events;
    ``broad_adoption``: at least 0.7 of them; ``advocate``: a customer at the end that is
    both. ``champion_contact_id``: its champion at the end. Returns how many advocates.
    """
    co = world.company
    last = world.window.months - 1
    customer = (world.seats[:, last] > 0) & ~world.churned
    health = np.nan_to_num(world.health[:, last], nan=0.0)
    promoter = customer & (NPS_BASE + NPS_SLOPE * health >= PROMOTER_SCORE)
    key = np.array([delay >= 0 for _, _, delay in FEATURES])
    tenure = months_between(co.created_day, np.full(co.n, int(world.window.bounds[last])))
    adopted = adoption_months(seed, world)[:, key] <= tenure[:, None]
    share = adopted.mean(axis=1)
    broad = share >= BROAD_ADOPTION
    advocate = promoter & broad
    end = np.full(co.n, world.window.end_us - 1)
    champion = people.champion_at(np.arange(co.n), end)
    _write(
        path,
        pa.table(
            {
                "account_id": co.account_ids,
                "customer": pa.array(customer),
                "latent_health": np.round(health, 4),
                "promoter": pa.array(promoter),
                "adoption": np.round(share, 4),
                "broad_adoption": pa.array(broad),
                "advocate": pa.array(advocate),
                "champion_contact_id": people.contact_ids.take(pa.array(champion)),
            }
        ),
    )
    return int(advocate.sum())


def write_interventions(path: Path, world: World) -> None:
    ids = world.company.account_ids
    month = world.window.month_start(world.treatment_month)

    def listed(mask: NDArray[np.bool_]) -> list[str]:
        return [str(v) for v in pc.filter(ids, pa.array(mask)).to_pylist()]

    effect = {k: round(v, 6) if isinstance(v, float) else v for k, v in world.effect.items()}
    plan = {
        "name": TREATMENT_NAME,
        "description": (
            "A success plan: a kickoff with the champion and two monthly check-ins by the "
            "success team (touchpoints with function 'success', channel 'success_plan' for "
            "the kickoff). It raises the account's latent health."
        ),
        "eligibility": (
            f"customers active at the end of {month:%Y-%m} whose latent health in the month "
            f"before was below {TREATMENT_THRESHOLD}"
        ),
        "assignment": f"randomized: each eligible account treated with probability "
        f"{TREATMENT_SHARE}",
        "treatment_month": month.isoformat(),
        "true_effect": {
            "on_health": (
                f"+{TREATMENT_DELTA} on latent health (logit scale) in every month after the "
                "treatment month"
            ),
            "on_churn": (
                "churn is decided only on a contract's renewal dates; the deltas compare the "
                "churn probability at each treated account's first renewal date after the "
                "treatment month with and without the plan: the next monthly anniversary for "
                "a month-to-month contract, the end of the running term for a term contract"
            ),
            **effect,
        },
        "eligible_accounts": listed(world.eligible),
        "treated_accounts": listed(world.treated),
        "control_accounts": listed(world.eligible & ~world.treated),
    }
    _json(path, {"interventions": [plan]})


def _month(world: World, m: int) -> str:
    return to_date(int(world.window.bounds[m])).isoformat()


def write_needs(path: Path, seed: int, world: World) -> None:
    needs = world.needs
    counts = np.bincount(world.company.needs_segment, minlength=needs.count)
    segments = []
    for k in range(needs.count):
        segments.append(
            {
                "id": k,
                "name": needs.names[k],
                "accounts": int(counts[k]),
                "underserved": k == needs.underserved,
                "key_outcomes": [outcome_id(o) for o in needs.key_outcomes[k]],
                "importance": {
                    outcome_id(o): round(float(v), 3) for o, v in enumerate(needs.importance[k])
                },
                "satisfaction": {
                    outcome_id(o): round(float(v), 3) for o, v in enumerate(needs.satisfaction[k])
                },
            }
        )
    release = planted_release(seed, needs, world.window.months)
    waves = survey_waves(world.window.months)
    planted = {
        "month": None if release.month < 0 else _month(world, release.month),
        "outcomes": [outcome_id(o) for o in release.outcomes],
        "satisfaction_lift": release.lift,
    }
    _json(
        path,
        {
            "segments": segments,
            "survey_waves": [_month(world, m) for m in waves],
            "release": planted,
        },
    )


def write_manifest(
    path: Path, world: World, params: dict[str, Any], counts: dict[str, int]
) -> None:
    _json(
        path,
        {
            **params,
            "as_of": world.window.as_of.isoformat(),
            "window_start": to_date(world.window.start_day).isoformat(),
            "counts": counts,
        },
    )


HANDOFF_SCHEMA = pa.schema(
    [
        ("handoff_id", pa.string()),
        ("case_id", pa.string()),
        ("from_function", pa.string()),
        ("to_function", pa.string()),
        ("handed_at", pa.timestamp("us")),
        ("limit_hours", pa.float64()),
        ("taken_up", pa.bool_()),
        ("taken_at", pa.timestamp("us")),
        ("broken", pa.bool_()),
    ]
)


def write_handoffs(path: Path, parts: list[pa.Table]) -> None:
    """One row per hand-off of a case to another function: its id (the assignment id of the
    receiving function's queue row in ``case_assignments``), whether and when someone took
    it up, and ``broken``: not taken up within ``limit_hours``, once that time has passed
    before ``as_of``."""
    table = pa.concat_tables([p.cast(HANDOFF_SCHEMA) for p in parts]) if parts else None
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table if table is not None else HANDOFF_SCHEMA.empty_table(), path)


STAGE_NAMES = ("awareness", "consideration", "acquisition", "service", "loyalty")


def _first_kept_renewal(world: World) -> I64:
    """Each account's first renewal date it stayed through (-1: none yet): from the window's
    renewal dates, or the first term's end when that fell before the window."""
    co = world.company
    n = co.n
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    before = add_months(co.paid_start, co.term_months)
    old = before < world.window.start_day
    first[old] = before[old]
    risk = world.churn_risk
    if len(risk.get("account", [])):
        acc = risk["account"].astype(np.int64)
        day = risk["day"].astype(np.int64)
        r = world.renewals
        lost = set(
            zip(
                r["account"].astype(np.int64)[r["churned"].astype(bool)].tolist(),
                r["day"].astype(np.int64)[r["churned"].astype(bool)].tolist(),
                strict=True,
            )
        )
        kept = np.array(
            [(a, d) not in lost for a, d in zip(acc.tolist(), day.tolist(), strict=True)]
        )
        np.minimum.at(first, acc[kept], day[kept])
    return np.where(first == np.iinfo(np.int64).max, -1, first)


def write_stages(path: Path, world: World, first_pre: I64) -> int:
    """One row per stage change of each account (the five-stage journey map): ``account_id,
    stage, entered_at``. Awareness and consideration at the first marketing and sales touch
    (accounts signing up in the window), acquisition at the trial's start (sign-up), service
    on the first paid day, loyalty on the first renewal date the customer stayed through;
    ``left`` when it churned (the end of its last subscription) and ``back`` when a win-back
    brought it back, to the stage it had reached. Returns the row count."""
    co = world.company
    end = world.window.end_us
    new = co.created_day >= world.window.start_day
    never = np.iinfo(np.int64).max
    times = np.full((co.n, 7), never, dtype=np.int64)
    times[:, 0] = first_pre[:, 0]
    times[:, 1] = first_pre[:, 1]
    times[new, 2] = co.created_us[new]
    times[:, 3] = co.paid_start * US_PER_DAY
    loyal = _first_kept_renewal(world)
    times[:, 4] = np.where(loyal >= 0, loyal * US_PER_DAY, never)
    life = world.life
    times[:, 5] = np.where(life[:, 1] < NEVER, life[:, 1] * US_PER_DAY, never)
    times[:, 6] = np.where(life[:, 2] < NEVER, life[:, 2] * US_PER_DAY, never)
    acc, k = np.nonzero(times < end)
    names = pa.array((*STAGE_NAMES, "left", "back"))
    table = pa.table(
        {
            "account_id": co.account_ids.take(pa.array(acc)),
            "stage": names.take(pa.array(k)),
            "entered_at": pa.array(times[acc, k], pa.timestamp("us")),
        }
    ).sort_by([("account_id", "ascending"), ("entered_at", "ascending")])
    _write(path, table)
    return int(table.num_rows)


def write_purchases(path: Path, buyers_path: Path, buyers: Buyers) -> None:
    """The planted transactional process (BG/NBD + Gamma-Gamma, ``sim/purchases.py``) and
    each one-off buyer's own draw: its weekly rate, dropout probability, spend scale, whether
    it is still alive at ``as_of`` and its true expected purchases in the next 52 weeks."""
    _json(
        path,
        {
            "process": "BG/NBD purchases (weeks), Gamma-Gamma amounts (USD)",
            "params": TRUTH,
            "buyers": buyers.n,
            "purchases": len(buyers.buyer),
            "horizon_weeks": HORIZON_WEEKS,
            "expected_next_total": round(float(expected_next(buyers).sum()), 3),
        },
    )
    _write(
        buyers_path,
        pa.table(
            {
                "account_id": buyers.account_ids,
                "first_purchase": _dates(buyers.first_day),
                "purchases": pa.array(np.bincount(buyers.buyer, minlength=buyers.n), pa.int32()),
                "lam_per_week": np.round(buyers.lam, 6),
                "p_dropout": np.round(buyers.p, 6),
                "spend_nu": np.round(buyers.nu, 8),
                "mean_spend": np.round(TRUTH["p"] / buyers.nu, 2),
                "alive": pa.array(buyers.alive),
                "expected_next_52w": np.round(expected_next(buyers), 6),
            }
        ),
    )
