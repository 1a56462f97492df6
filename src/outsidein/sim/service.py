"""Support cases, the touchpoints they create, and the CSAT answers that follow them.

Unhealthy customers open more cases, of higher priority, that take longer: more of them
breach their SLA, involve several functions (support hands off to product, billing or
success, sometimes back again) and end in lower CSAT.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from outsidein.sim import interrupts
from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR
from outsidein.sim.catalog import CASE_SUBJECTS
from outsidein.sim.journey import (
    BILLING,
    CH,
    FAILED,
    INBOUND,
    NEUTRAL,
    OK,
    PRODUCT,
    SERVICE,
    SUCCESS,
    SUPPORT,
    Touches,
)
from outsidein.sim.names import REGION_UTC_SHIFT_HOURS
from outsidein.sim.streams import stream
from outsidein.sim.world import World
from outsidein.sim.writer import TableSink
from outsidein.store.tables import FUNCTIONS

PRIORITIES = ("low", "normal", "high", "urgent")
SLA_HOURS = (72.0, 24.0, 8.0, 4.0)
CASE_RATE = (0.25, 0.7, 1.5)  # cases per customer-month at full health, by segment
FUNCTION_SETS = (
    "support",
    "support,product",
    "support,billing",
    "support,success",
    "support,product,success",
)
FUNCTION_SHARES = (0.6, 0.2, 0.08, 0.07, 0.05)
SUBJECT_AREA = ("support", "product", "billing", "success", "product")
CSAT_RESPONSE_RATE = 0.3


def _subjects() -> tuple[list[str], list[int], list[int]]:
    flat: list[str] = []
    offsets: list[int] = []
    sizes: list[int] = []
    for area in SUBJECT_AREA:
        offsets.append(len(flat))
        flat.extend(CASE_SUBJECTS[area])
        sizes.append(len(CASE_SUBJECTS[area]))
    return flat, offsets, sizes


# Hours the receiving function has to take a case up (the journey map's default hand-offs)
TAKE_UP_HOURS = {PRODUCT: 72.0, BILLING: 48.0, SUCCESS: 48.0}
# A hand-off is taken up in time, late, or never
TAKE_UP_SHARES = (0.75, 0.10, 0.15)


def _assign(
    rng: np.random.Generator,
    sink: TableSink,
    account_ids: pa.Array,
    acc: np.ndarray,
    case_id: pa.Array,
    opened: np.ndarray,
    handed: np.ndarray,
    truth: list[pa.Table],
    planted: list[pa.Table],
    plant_rng: np.random.Generator,
) -> None:
    """Owners of each case: a support agent at opening; a hand-off puts the case in the
    receiving function's queue (no owner), where someone takes it up in time, late or never.
    Each hand-off's truth (its id: the queue row's assignment id) goes to ``truth``."""
    functions = pa.array(FUNCTIONS)
    end_us = sink.end_us if sink.end_us is not None else np.iinfo(np.int64).max
    n = len(acc)
    agent = rng.integers(1, 41, n)
    owners = pa.array([f"support-{a:02d}" for a in agent.tolist()], pa.string())
    sink.write(
        {
            "case_id": case_id,
            "account_id": account_ids.take(pa.array(acc)),
            "function": pa.repeat(pa.scalar("support"), n),
            "owner": owners,
            "assigned_at": opened,
        }
    )
    sel = np.flatnonzero(handed >= 0)
    if len(sel) == 0:
        return
    to = handed[sel]
    handed_at = opened[sel] + rng.uniform(1, 48, len(sel)).astype(np.int64) * US_PER_HOUR
    limit = np.array([TAKE_UP_HOURS[int(f)] for f in to.tolist()])
    fate = np.minimum((rng.random(len(sel))[:, None] > np.cumsum(TAKE_UP_SHARES)).sum(1), 2)
    hours = np.where(
        fate == 0, rng.uniform(0.5, 0.9, len(sel)) * limit, rng.uniform(1.1, 4, len(sel)) * limit
    )
    taken_at = handed_at + (hours * US_PER_HOUR).astype(np.int64)
    kept = handed_at < end_us
    ids = sink.next_ids(int(kept.sum())) if kept.any() else pa.array([], pa.string())
    queue_cases = case_id.take(pa.array(sel))
    sink.write(
        {
            "case_id": queue_cases,
            "account_id": account_ids.take(pa.array(acc[sel])),
            "function": functions.take(pa.array(to)),
            "owner": pa.nulls(len(sel), pa.string()),
            "assigned_at": handed_at,
        }
    )
    taken = fate < 2
    names = [
        f"{FUNCTIONS[f]}-{k:02d}"
        for f, k in zip(to.tolist(), rng.integers(1, 21, len(sel)).tolist(), strict=True)
    ]
    sink.write(
        {
            "case_id": queue_cases.filter(pa.array(taken)),
            "account_id": account_ids.take(pa.array(acc[sel][taken])),
            "function": functions.take(pa.array(to[taken])),
            "owner": pa.array(names, pa.string()).filter(pa.array(taken)),
            "assigned_at": taken_at[taken],
        }
    )
    seen = taken & (taken_at < end_us)
    in_time = seen & (fate == 0)
    bounce = np.flatnonzero(in_time)
    interrupts.ping_pong(
        plant_rng, sink, account_ids, acc[sel][bounce], queue_cases.take(pa.array(bounce)),
        to[bounce], taken_at[bounce], planted,
    )  # fmt: skip
    truth.append(
        pa.table(
            {
                "handoff_id": ids,
                "case_id": queue_cases.filter(pa.array(kept)),
                "from_function": pa.repeat(pa.scalar("support"), int(kept.sum())),
                "to_function": functions.take(pa.array(to[kept])),
                "handed_at": pa.array(handed_at[kept], pa.timestamp("us")),
                "limit_hours": limit[kept],
                "taken_up": pa.array(seen[kept]),
                "taken_at": pa.array(
                    np.where(seen, taken_at, 0)[kept], pa.timestamp("us"), mask=~seen[kept]
                ),
                # broken: not taken up within the limit, once the limit has passed
                "broken": pa.array(
                    (~in_time & (handed_at + (limit * US_PER_HOUR).astype(np.int64) < end_us))[kept]
                ),
            }
        )
    )


def cases(
    seed: int,
    world: World,
    sink: TableSink,
    touches: Touches,
    surveys: TableSink,
    progress: Callable[[int], None] | None = None,
    assignments: TableSink | None = None,
    handoff_truth: list[pa.Table] | None = None,
    planted: list[pa.Table] | None = None,
) -> None:
    """Generate each month's cases with their touchpoints, owners and CSAT responses.

    The customer opens each case (an inbound support touchpoint carrying the case id);
    ``assignments`` records the case's owners: a support agent first, then the queue of the
    function it was handed to and whoever takes it up (``handoff_truth``: each hand-off).
    ``planted``: the truth of the planted ping-pong, chasing and repeat contacts
    (:mod:`outsidein.sim.interrupts`, their own random streams).
    """
    planted = planted if planted is not None else []
    co = world.company
    window = world.window
    end_us = window.end_us
    people = touches.people
    subject_list, subject_off, subject_n = _subjects()
    subjects = pa.array(subject_list)
    for m in range(window.months):
        rng = stream(seed, "cases", m)
        ms, me = int(window.bounds[m]), int(window.bounds[m + 1])
        customers = np.flatnonzero(world.seats[:, m] > 0)
        h_all = np.nan_to_num(world.health[:, m], nan=0.6)
        rate = np.array(CASE_RATE)[co.segment[customers]] * (0.6 + 1.2 * (1 - h_all[customers]))
        rate = rate + 2.0 * world.incidents[customers, m]
        acc = np.repeat(customers, rng.poisson(rate))
        n = len(acc)
        h = h_all[acc]
        off_hours = rng.random(n) < 0.1
        shift = np.array(REGION_UTC_SHIFT_HOURS)[co.region[acc]]
        hour = np.where(off_hours, rng.uniform(0, 24, n), (rng.uniform(8, 18, n) + shift) % 24)
        opened = rng.integers(ms, me, n) * US_PER_DAY + (hour * US_PER_HOUR).astype(np.int64)

        weights = np.stack(
            [np.full(n, 0.3), np.full(n, 0.5), 0.15 + 0.2 * (1 - h), 0.05 + 0.1 * (1 - h)], axis=1
        )
        weights[world.incidents[acc, m], :2] = 0.05
        cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        priority = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), 3)
        sla = np.array(SLA_HOURS)[priority]

        shares = np.array(FUNCTION_SHARES)[None, :] * np.ones((n, 1))
        shares[:, 1:] *= (0.6 + 0.8 * (1 - h))[:, None]
        fcum = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
        fset = np.minimum((rng.random(n)[:, None] > fcum).sum(axis=1), len(FUNCTION_SETS) - 1)
        multi = fset > 0

        factor = np.exp(rng.normal(np.log(0.3) + 1.0 * (1 - h) + 0.3 * multi, 0.6))
        hours = sla * factor
        closed = opened + (hours * US_PER_HOUR).astype(np.int64)
        breached = hours > sla
        done = closed < end_us
        recent = done & (closed >= end_us - 3 * US_PER_DAY)
        waiting = np.where(rng.random(n) < 0.5, 0, 1)  # open / pending
        status = np.where(done, np.where(recent, 2, 3), waiting)
        contact = people.anyone(acc, rng.random(n))
        subject = (
            np.array(subject_off)[fset] + rng.integers(0, 1 << 20, n) % np.array(subject_n)[fset]
        )

        kept = int((opened < end_us).sum())
        case_id = pa.array(np.full(n, "", dtype=object))
        if kept:
            ids = sink.next_ids(kept).to_numpy(zero_copy_only=False)
            full = np.full(n, "", dtype=object)
            full[opened < end_us] = ids
            case_id = pa.array(full, pa.string())
        sink.write(
            {
                "case_id": case_id,
                "account_id": co.account_ids.take(pa.array(acc)),
                "contact_id": people.contact_ids.take(pa.array(contact)),
                "opened_at": opened,
                "closed_at": np.where(done, closed, -1),
                "priority": pa.array(PRIORITIES).take(pa.array(priority)),
                "sla_hours": sla,
                "status": pa.array(("open", "pending", "solved", "closed")).take(pa.array(status)),
                "functions": pa.array(FUNCTION_SETS).take(pa.array(fset)),
                "subject": subjects.take(pa.array(subject)),
            }
        )

        channel = rng.choice([CH["ticket"], CH["chat"], CH["phone"]], n, p=[0.6, 0.25, 0.15])
        outcome = np.where(~done, NEUTRAL, np.where(breached, FAILED, OK))
        product = (fset == 1) | (fset == 4)
        handed = np.where(product, PRODUCT, np.where(fset == 2, BILLING, -1))
        handed = np.where(fset == 3, SUCCESS, handed)
        touches.add(
            acc,
            opened,
            SUPPORT,
            channel,
            SERVICE,
            outcome,
            handed_to=handed,
            contact=contact,
            case_id=case_id,
            direction=INBOUND,
        )
        if assignments is not None:
            truth = handoff_truth if handoff_truth is not None else []
            plant_rng = stream(seed, "cases", "interruptions", m)
            _assign(
                rng, assignments, co.account_ids, acc, case_id, opened, handed, truth,
                planted, plant_rng,
            )  # fmt: skip
            interrupts.chasing_and_repeats(
                plant_rng, touches, acc, case_id, contact, opened, closed, done, sla, planted
            )
        touches.hand_off(rng, acc[product], opened[product], PRODUCT, SERVICE, hand_back=SUPPORT)
        for to in (BILLING, SUCCESS):
            sel = handed == to
            touches.hand_off(rng, acc[sel], opened[sel], to, SERVICE)

        answer = done & (rng.random(n) < CSAT_RESPONSE_RATE)
        answered = closed + rng.uniform(1, 48, n).astype(np.int64) * US_PER_HOUR
        score = np.clip(np.round(2.6 + 2.9 * h - 1.0 * breached + rng.normal(0, 0.7, n)), 1, 5)
        surveys.write(
            {
                "account_id": co.account_ids.take(pa.array(acc[answer])),
                "contact_id": people.contact_ids.take(pa.array(contact[answer])),
                "survey": pa.repeat(pa.scalar("Support CSAT"), int(answer.sum())),
                "answered_at": answered[answer],
                "kind": pa.repeat(pa.scalar("csat"), int(answer.sum())),
                "score": score[answer],
            }
        )
        if progress is not None:
            progress(m + 1)
