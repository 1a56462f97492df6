"""Touchpoints along each customer's life, from first contact to renewal or churn.

Acquisition and onboarding for new customers, renewal conversations, up- and downsell,
win-backs, the planted success plan, and the routine rhythm of success, marketing and
product touches (high-touch for enterprise, tech-touch for small customers).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR
from outsidein.sim.journey import (
    ACQUISITION,
    AWARENESS,
    BILLING,
    CH,
    CONSIDERATION,
    FAILED,
    LOYALTY,
    MARKETING,
    NEUTRAL,
    OK,
    ONBOARDING,
    PRODUCT,
    SALES,
    SERVICE,
    SUCCESS,
    Touches,
    health_at,
    outcome_codes,
    work_time,
)
from outsidein.sim.streams import stream
from outsidein.sim.world import World

I64 = NDArray[np.int64]
SUCCESS_RATE = (0.15, 0.7, 1.5)  # success-team touches per customer-month, by segment


def acquisition(seed: int, world: World, touches: Touches) -> None:
    """Marketing, sales and onboarding touches of customers who sign up in the window."""
    rng = stream(seed, "touch", "acquisition")
    co = world.company
    new = np.flatnonzero(co.created_day >= world.window.start_day)
    created = co.created_day[new]

    n_aware = 1 + rng.poisson(1.2, len(new))
    acc = np.repeat(new, n_aware)
    day = np.repeat(created, n_aware) - rng.integers(20, 90, len(acc))
    channel = rng.integers(CH["webinar"], CH["email_campaign"] + 1, len(acc))
    outcome = np.where(rng.random(len(acc)) < 0.3, OK, NEUTRAL)
    at = work_time(rng, world, acc, day)
    touches.add(acc, at, MARKETING, channel, AWARENESS, outcome)
    np.minimum.at(touches.first_pre[:, 0], acc, at)

    n_cons = 1 + rng.poisson(0.7, len(new))
    acc = np.repeat(new, n_cons)
    day = np.repeat(created, n_cons) - rng.integers(2, 25, len(acc))
    channel = np.where(rng.random(len(acc)) < 0.6, CH["demo"], CH["discovery_call"])
    outcome = outcome_codes(rng, np.full(len(acc), 0.7))
    at = work_time(rng, world, acc, day)
    touches.add(acc, at, SALES, channel, CONSIDERATION, outcome)
    np.minimum.at(touches.first_pre[:, 1], acc, at)

    people = touches.people
    touches.add(new, co.created_us[new], SALES, CH["web"], ACQUISITION, OK, note="Trial started")
    signed = new[co.paid_start[new] < world.window.end_day]
    at = work_time(rng, world, signed, co.paid_start[signed])
    champion = people.champion_at(signed, at)
    touches.add(
        signed, at, SALES, CH["contract"], ACQUISITION, OK, handed_to=ONBOARDING, contact=champion
    )
    touches.hand_off(rng, signed, at, ONBOARDING, ACQUISITION)

    n_train = rng.integers(1, 3, len(signed))
    acc = np.repeat(signed, n_train)
    day = co.paid_start[acc] + rng.integers(7, 40, len(acc))
    at = work_time(rng, world, acc, day)
    h = health_at(world, acc, at)
    touches.add(acc, at, ONBOARDING, CH["training"], SERVICE, outcome_codes(rng, h))

    day = co.paid_start[signed] + rng.integers(30, 60, len(signed))
    at = work_time(rng, world, signed, day)
    h = health_at(world, signed, at)
    live = outcome_codes(rng, h)
    touches.add(signed, at, ONBOARDING, CH["go_live"], SERVICE, live, handed_to=SUCCESS)
    touches.hand_off(rng, signed, at, SUCCESS, SERVICE)


def milestones(seed: int, world: World, touches: Touches) -> None:
    """Renewals and cancellations, up/downsell, win-backs, champion changes, success plans."""
    rng = stream(seed, "touch", "milestones")
    co = world.company
    people = touches.people

    acc = world.renewals["account"].astype(np.int64)
    day = world.renewals["day"].astype(np.int64)
    churned = world.renewals["churned"].astype(np.bool_)
    at = work_time(rng, world, acc, day - rng.integers(15, 45, len(acc)))
    function = np.where(co.segment[acc] == 0, SALES, SUCCESS)
    channel = np.where(co.segment[acc] == 0, CH["email"], CH["renewal_call"])
    outcome = np.where(churned, FAILED, np.where(rng.random(len(acc)) < 0.8, OK, NEUTRAL))
    contact = people.champion_at(acc, at)
    touches.add(acc, at, function, channel, LOYALTY, outcome, contact=contact)
    gone = acc[churned]
    at = work_time(rng, world, gone, day[churned])
    touches.add(gone, at, BILLING, CH["cancellation"], LOYALTY, FAILED, note="Cancelled at renewal")

    acc = world.changes["account"].astype(np.int64)
    day = world.changes["day"].astype(np.int64)
    kind = world.changes["kind"].astype(np.int64)
    grow = (kind == 0) | (kind == 2)
    at = work_time(rng, world, acc, day)
    touches.add(acc[grow], at[grow], SALES, CH["upsell_call"], LOYALTY, OK)
    shrink = ~grow
    outcome = np.where(rng.random(int(shrink.sum())) < 0.5, FAILED, NEUTRAL)
    touches.add(acc[shrink], at[shrink], SUCCESS, CH["email"], SERVICE, outcome, note="Downgrade")

    back = np.flatnonzero(world.reactivation_day >= 0)
    at = work_time(rng, world, back, world.reactivation_day[back])
    touches.add(back, at, SALES, CH["win_back"], ACQUISITION, OK, handed_to=ONBOARDING)
    touches.hand_off(rng, back, at, ONBOARDING, ACQUISITION)

    left = np.flatnonzero(world.champion_left_day >= 0)
    noticed = left[rng.random(len(left)) < 0.5]
    day = world.champion_left_day[noticed] + rng.integers(3, 30, len(noticed))
    at = work_time(rng, world, noticed, day)
    touches.add(noticed, at, SUCCESS, CH["email"], SERVICE, NEUTRAL, note="Champion left")

    treated = np.flatnonzero(world.treated)
    at = work_time(rng, world, treated, world.treatment_day[treated])
    contact = people.champion_at(treated, at)
    touches.add(
        treated,
        at,
        SUCCESS,
        CH["success_plan"],
        LOYALTY,
        OK,
        contact=contact,
        note="Success plan kickoff",
    )
    for days in (30, 60):
        day = world.treatment_day[treated] + days + rng.integers(-3, 4, len(treated))
        at = work_time(rng, world, treated, day)
        outcome = outcome_codes(rng, health_at(world, treated, at))
        touches.add(
            treated, at, SUCCESS, CH["call"], LOYALTY, outcome, note="Success plan check-in"
        )


def routine(
    seed: int, world: World, touches: Touches, progress: Callable[[int], None] | None = None
) -> None:
    """Month by month: success check-ins and QBRs, newsletters, in-app guides."""
    for m in range(world.window.months):
        _routine_month(stream(seed, "touch", "routine", m), world, touches, m)
        if progress is not None:
            progress(m + 1)


def _routine_month(rng: np.random.Generator, world: World, touches: Touches, m: int) -> None:
    seg = world.company.segment
    ms, me = int(world.window.bounds[m]), int(world.window.bounds[m + 1])
    customers = np.flatnonzero(world.seats[:, m] > 0)
    h_all = np.nan_to_num(world.health[:, m], nan=0.6)

    def days(acc: I64) -> I64:
        return np.asarray(rng.integers(ms, me, len(acc)), dtype=np.int64)

    n = rng.poisson(np.array(SUCCESS_RATE)[seg[customers]])
    acc = np.repeat(customers, n)
    at = work_time(rng, world, acc, days(acc))
    channel = np.where(
        seg[acc] == 0,
        CH["email"],
        rng.choice([CH["call"], CH["meeting"], CH["email"]], len(acc)),
    )
    contact = touches.people.champion_at(acc, at)
    outcome = outcome_codes(rng, h_all[acc])
    touches.add(acc, at, SUCCESS, channel, SERVICE, outcome, contact=contact)

    # QBRs: enterprise every quarter, mid-market twice a year
    qbr = customers[(seg[customers] == 2) & ((customers + m) % 3 == 0)]
    qbr = np.concatenate([qbr, customers[(seg[customers] == 1) & ((customers + m) % 6 == 0)]])
    at = work_time(rng, world, qbr, days(qbr))
    wants = rng.random(len(qbr)) < 0.15
    handed = np.where(wants, PRODUCT, -1)
    contact = touches.people.champion_at(qbr, at)
    outcome = outcome_codes(rng, h_all[qbr])
    touches.add(qbr, at, SUCCESS, CH["qbr"], LOYALTY, outcome, handed_to=handed, contact=contact)
    touches.hand_off(rng, qbr[wants], at[wants], PRODUCT, LOYALTY)

    acc = customers[rng.random(len(customers)) < 0.6]
    at = np.full(len(acc), (ms + 1) * US_PER_DAY + 14 * US_PER_HOUR, dtype=np.int64)
    touches.add(acc, at, MARKETING, CH["newsletter"], LOYALTY, NEUTRAL)

    acc = customers[rng.random(len(customers)) < 0.3]
    at = work_time(rng, world, acc, days(acc))
    outcome = np.where(rng.random(len(acc)) < 0.5 * (0.5 + h_all[acc]), OK, NEUTRAL)
    touches.add(acc, at, PRODUCT, CH["in_app_guide"], SERVICE, outcome)
