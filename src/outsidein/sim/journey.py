"""Touchpoints: who at the vendor touched the customer, how, at which stage, and how it went.

``Touches`` turns code arrays into touchpoint rows; hand-offs pass a customer to another
function, which follows up within days unless the hand-off breaks (more often when health
is low). Broken hand-offs are counted per account as ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR
from outsidein.sim.names import REGION_UTC_SHIFT_HOURS
from outsidein.sim.people import Directory
from outsidein.sim.world import World
from outsidein.sim.writer import TableSink
from outsidein.store.tables import DIRECTIONS, FUNCTIONS

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

SALES, MARKETING, ONBOARDING, SUPPORT, SUCCESS, BILLING, PRODUCT = range(7)
STAGES = ("awareness", "consideration", "acquisition", "service", "loyalty")
AWARENESS, CONSIDERATION, ACQUISITION, SERVICE, LOYALTY = range(5)
OUTCOMES = ("success", "failed", "neutral")
INBOUND, OUTBOUND = range(2)
OK, FAILED, NEUTRAL = range(3)
CHANNELS = (
    "webinar", "content_download", "paid_search", "event", "email_campaign",  # 0-4
    "demo", "discovery_call", "web", "contract", "kickoff_call",  # 5-9
    "training", "go_live", "call", "meeting", "email",  # 10-14
    "qbr", "newsletter", "in_app_guide", "feedback_session", "renewal_call",  # 15-19
    "cancellation", "upsell_call", "win_back", "success_plan", "ticket",  # 20-24
    "chat", "phone", "bug_triage", "payment_reminder", "dunning_call",  # 25-29
)  # fmt: skip
CH = {name: i for i, name in enumerate(CHANNELS)}
# the channel a function uses to pick up a hand-off
FOLLOW_CHANNEL = tuple(
    CH[name] for name in ("call", "email", "kickoff_call", "ticket", "call", "email", "bug_triage")
)  # indexed by function: sales, marketing, onboarding, support, success, billing, product
NO_TIME = np.iinfo(np.int64).max
HANDOFF_WINDOW_DAYS = 7  # a hand-off without follow-up within this many days is broken


def outcome_codes(rng: np.random.Generator, h: F64, fail: float = 0.04) -> I64:
    """Success, failed or neutral; failures grow quickly as health drops."""
    h = np.nan_to_num(h, nan=0.6)
    p_fail = fail + 0.45 * (1 - h) ** 2
    p_ok = (1 - p_fail) * (0.45 + 0.4 * h)
    u = rng.random(len(h))
    return np.where(u < p_fail, FAILED, np.where(u < p_fail + p_ok, OK, NEUTRAL))


def work_time(rng: np.random.Generator, world: World, account: I64, day: I64) -> I64:
    """A timestamp during the customer's working hours on ``day``."""
    shift = np.array(REGION_UTC_SHIFT_HOURS)[world.company.region[account]]
    hours = (rng.uniform(8.5, 17.5, len(day)) + shift) % 24
    return np.asarray(day * US_PER_DAY + (hours * US_PER_HOUR).astype(np.int64), dtype=np.int64)


def health_at(world: World, account: I64, at_us: I64, default: float = 0.6) -> F64:
    """Latent health of each account in the month of each timestamp."""
    m = world.window.month_of(at_us // US_PER_DAY)
    h = world.health[account, np.clip(m, 0, None)]
    h = np.where(m < 0, default, h)
    return np.asarray(np.nan_to_num(h, nan=default), dtype=np.float64)


@dataclass
class FollowUps:
    account: I64
    at: I64
    function: I64
    outcome: I64


class Touches:
    """Builds touchpoint rows and writes them to the touchpoints sink."""

    def __init__(self, sink: TableSink, world: World, people: Directory) -> None:
        self.sink = sink
        self.world = world
        self.people = people
        self.broken = np.zeros(world.company.n, dtype=np.int64)
        # the first awareness and consideration touch of each account (stage truth; NO_TIME)
        self.first_pre = np.full((world.company.n, 2), NO_TIME, dtype=np.int64)
        self._functions = pa.array(FUNCTIONS)
        self._stages = pa.array(STAGES)
        self._outcomes = pa.array(OUTCOMES)
        self._channels = pa.array(CHANNELS)
        self._directions = pa.array(DIRECTIONS)

    def add(
        self,
        account: I64,
        at: I64,
        function: I64 | int,
        channel: I64 | int,
        stage: I64 | int,
        outcome: I64 | int,
        *,
        handed_to: I64 | int = -1,
        contact: I64 | None = None,
        note: str | None = None,
        case_id: pa.Array | None = None,
        direction: I64 | int = -1,
    ) -> None:
        n = len(account)
        if n == 0:
            return

        def codes(v: I64 | int) -> pa.Array:
            arr = np.broadcast_to(np.asarray(v, dtype=np.int64), (n,))
            return pa.array(arr, mask=arr < 0)

        cols: dict[str, object] = {
            "account_id": self.world.company.account_ids.take(pa.array(account)),
            "at": at,
            "channel": self._channels.take(codes(channel)),
            "function": self._functions.take(codes(function)),
            "stage": self._stages.take(codes(stage)),
            "outcome": self._outcomes.take(codes(outcome)),
            "handed_to": self._functions.take(codes(handed_to)),
        }
        if contact is not None:
            cols["contact_id"] = self.people.contact_ids.take(codes(contact))
        if note is not None:
            cols["note"] = pa.repeat(pa.scalar(note, pa.string()), n)
        if case_id is not None:
            cols["case_id"] = case_id
        cols["direction"] = self._directions.take(codes(direction))
        self.sink.write(cols)

    def follow_ups(
        self, rng: np.random.Generator, account: I64, at: I64, to: I64 | int, stage: int
    ) -> FollowUps:
        """The receiving function's follow-ups to hand-offs; broken ones are counted."""
        n = len(account)
        to_arr = np.broadcast_to(np.asarray(to, dtype=np.int64), (n,))
        h = health_at(self.world, account, at)
        broken = rng.random(n) < 0.05 + 0.35 * (1 - h) ** 2
        observable = at + HANDOFF_WINDOW_DAYS * US_PER_DAY < self.world.window.end_us
        np.add.at(self.broken, account[broken & observable], 1)
        keep = ~broken
        delay = rng.uniform(2 * US_PER_HOUR, 5 * US_PER_DAY, n).astype(np.int64)
        return FollowUps(
            account=account[keep],
            at=(at + delay)[keep],
            function=to_arr[keep],
            outcome=outcome_codes(rng, h[keep]),
        )

    def hand_off(
        self,
        rng: np.random.Generator,
        account: I64,
        at: I64,
        to: I64 | int,
        stage: int,
        *,
        hand_back: int | None = None,
    ) -> None:
        """Write the follow-ups of hand-offs to ``to`` (optionally handed back once more)."""
        f = self.follow_ups(rng, account, at, to, stage)
        back = np.full(len(f.account), -1, dtype=np.int64)
        if hand_back is not None:
            back = np.where(rng.random(len(f.account)) < 0.5, hand_back, -1)
        channel = np.array(FOLLOW_CHANNEL)[f.function]
        self.add(f.account, f.at, f.function, channel, stage, f.outcome, handed_to=back)
        if hand_back is not None:
            sent = back >= 0
            self.hand_off(rng, f.account[sent], f.at[sent], hand_back, stage)
