"""Planted journey interruptions with their truth: ping-pong, repeat contacts, chasing.

Each plant draws from its own random stream, so the rest of the simulation keeps its numbers:

* **ping-pong**: a share of the hand-offs taken up in time bounce: the receiving function
  hands the case back to support, support hands it over again, and back once more (four
  moves between functions in all; the truth id is the case id, kept when more than two moves
  happened before ``as_of``);
* **chasing**: on a share of the cases open longer than 1.5 times their SLA the customer writes
  or calls while the case still waits on us (an inbound touchpoint naming the case, before it
  closes; the truth id is the touchpoint id);
* **repeat contacts**: after a share of the closed cases the customer comes back about the
  same issue within days (an inbound touchpoint naming the closed case).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR
from outsidein.sim.journey import CH, INBOUND, NEUTRAL, SERVICE, SUPPORT, Touches
from outsidein.sim.writer import TableSink
from outsidein.store.tables import FUNCTIONS

I64 = NDArray[np.int64]
B = NDArray[np.bool_]

PINGPONG_SHARE = 0.12  # of the hand-offs taken up in time
CHASE_SHARE = 0.5  # of the cases open longer than 1.5 times their SLA
REPEAT_SHARE = 0.06  # of the closed cases
REPEAT_DAYS = (0.5, 6.0)  # the customer comes back this many days after the close
TRUTH_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("truth_id", pa.string()),
        ("case_id", pa.string()),
        ("account_id", pa.string()),
        ("at", pa.timestamp("us")),
    ]
)


def _hours(rng: np.random.Generator, lo: float, hi: float, n: int) -> I64:
    return (rng.uniform(lo, hi, n) * US_PER_HOUR).astype(np.int64)


def ping_pong(
    rng: np.random.Generator,
    sink: TableSink,
    account_ids: pa.Array,
    acc: I64,
    case_id: pa.Array,
    to: I64,
    taken_at: I64,
    truth: list[pa.Table],
) -> None:
    """Bounce a share of the cases taken up in time (``to``: the function that took each up at
    ``taken_at``) back to support, over again, and back: three more moves, each taken up
    within hours."""
    end_us = sink.end_us if sink.end_us is not None else np.iinfo(np.int64).max
    pick = np.flatnonzero(rng.random(len(acc)) < PINGPONG_SHARE)
    if len(pick) == 0:
        return
    cases = case_id.take(pa.array(pick))
    accounts = account_ids.take(pa.array(acc[pick]))
    n = len(pick)
    t = taken_at[pick].copy()
    moves_seen = np.ones(n, dtype=np.int64)  # support -> to, already written
    for function in (SUPPORT, -1, SUPPORT):  # -1: the receiving function again
        t = t + _hours(rng, 6, 40, n)
        fn = np.where(function < 0, to[pick], function)
        names = pa.array([FUNCTIONS[f] for f in fn.tolist()], pa.string())
        sink.write(
            {
                "case_id": cases,
                "account_id": accounts,
                "function": names,
                "owner": pa.nulls(n, pa.string()),
                "assigned_at": t,
            }
        )
        moves_seen += t < end_us
        owner_at = t + _hours(rng, 0.5, 3, n)
        agent = rng.integers(1, 21, n)
        owners = [
            f"{FUNCTIONS[f]}-{k:02d}" for f, k in zip(fn.tolist(), agent.tolist(), strict=True)
        ]
        sink.write(
            {
                "case_id": cases,
                "account_id": accounts,
                "function": names,
                "owner": pa.array(owners, pa.string()),
                "assigned_at": owner_at,
            }
        )
    kept = moves_seen > 2
    truth.append(
        pa.table(
            {
                "kind": pa.repeat(pa.scalar("ping_pong"), int(kept.sum())),
                "truth_id": cases.filter(pa.array(kept)),
                "case_id": cases.filter(pa.array(kept)),
                "account_id": accounts.filter(pa.array(kept)),
                "at": pa.array(taken_at[pick][kept], pa.timestamp("us")),
            }
        )
    )


def _contacts(
    touches: Touches,
    rng: np.random.Generator,
    kind: str,
    acc: I64,
    at: I64,
    case_id: pa.Array,
    contact: I64,
    truth: list[pa.Table],
) -> None:
    """Inbound touchpoints naming their case, and their truth (the touchpoint ids)."""
    keep = at < touches.world.window.end_us
    acc, at, contact = acc[keep], at[keep], contact[keep]
    cases = case_id.filter(pa.array(keep))
    n = len(acc)
    if n == 0:
        return
    ids = touches.sink.next_ids(n)
    channel = rng.choice([CH["email"], CH["phone"], CH["chat"]], n, p=[0.5, 0.3, 0.2])
    touches.add(
        acc, at, SUPPORT, channel, SERVICE, NEUTRAL,
        contact=contact, case_id=cases, direction=INBOUND,
    )  # fmt: skip
    truth.append(
        pa.table(
            {
                "kind": pa.repeat(pa.scalar(kind), n),
                "truth_id": ids,
                "case_id": cases,
                "account_id": touches.world.company.account_ids.take(pa.array(acc)),
                "at": pa.array(at, pa.timestamp("us")),
            }
        )
    )


def chasing_and_repeats(
    rng: np.random.Generator,
    touches: Touches,
    acc: I64,
    case_id: pa.Array,
    contact: I64,
    opened: I64,
    closed: I64,
    done: B,
    sla_hours: NDArray[np.float64],
    truth: list[pa.Table],
) -> None:
    """The customer chasing slow cases, and coming back after closed ones (module doc)."""
    end_us = touches.world.window.end_us
    real = opened < end_us
    until = np.where(done, closed, end_us)
    sla = (sla_hours * US_PER_HOUR).astype(np.int64)
    slow = real & (until - opened > 3 * sla // 2) & (rng.random(len(acc)) < CHASE_SHARE)
    sel = np.flatnonzero(slow)
    # somewhere between the SLA running out and the case closing
    at = opened[sel] + sla[sel] + (rng.random(len(sel)) * (until[sel] - opened[sel] - sla[sel]))
    _contacts(
        touches, rng, "chasing", acc[sel], at.astype(np.int64), case_id.take(pa.array(sel)),
        contact[sel], truth,
    )  # fmt: skip
    again = np.flatnonzero(real & done & (rng.random(len(acc)) < REPEAT_SHARE))
    later = closed[again] + (rng.uniform(*REPEAT_DAYS, len(again)) * US_PER_DAY).astype(np.int64)
    _contacts(
        touches, rng, "repeat_contact", acc[again], later, case_id.take(pa.array(again)),
        contact[again], truth,
    )  # fmt: skip


def write_truth(path: Path, parts: list[pa.Table]) -> None:
    """``ground_truth/interruptions.parquet``: one row per planted interruption: its kind,
    its id (``truth_id``: the case for ping-pong, the touchpoint otherwise), case, account, and
    when it happened."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = (
        pa.concat_tables([p.cast(TRUTH_SCHEMA) for p in parts])
        if parts
        else TRUTH_SCHEMA.empty_table()
    )
    pq.write_table(table, path)
