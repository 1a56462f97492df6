"""Product usage events, generated a month and a block of accounts at a time.

Volume follows seats and health (healthier customers have more active users, and each
does more), the working week and working hours in the customer's region. Features are
adopted over the first months; an event of a feature not adopted yet is a dashboard view.
Every per-event value comes from bit fields of one 64-bit random draw, and text columns are
dictionary-encoded or built column-wise, so no Python code runs per event.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR, months_between, weekday
from outsidein.sim.catalog import FALLBACK_FEATURE, FEATURES, feature_properties
from outsidein.sim.names import REGION_UTC_SHIFT_HOURS
from outsidein.sim.plays import PlayPlan
from outsidein.sim.streams import stream
from outsidein.sim.world import World, sigmoid
from outsidein.sim.writer import TableSink

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

DOW = np.array([1.0, 1.05, 1.05, 1.0, 0.85, 0.1, 0.07])  # Monday .. Sunday
HOURS = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 7, 8, 7.5, 5.5, 7, 7.5, 7, 6, 4, 2.5, 1.8, 1.5,
     1.2, 0.8, 0.5]
)  # fmt: skip
BATCH_EVENTS = 500_000  # aim for about this many events per generated batch


def _hour_table() -> NDArray[np.int64]:
    """1024 slots of local hours in proportion to activity: a 10-bit draw picks an hour."""
    cum = np.cumsum(HOURS) / HOURS.sum()
    return np.searchsorted(cum, (np.arange(1024) + 0.5) / 1024).astype(np.int64)


def adoption_months(seed: int, world: World) -> F64:
    """(accounts, features): tenure month each feature is adopted in (inf = never)."""
    rng = stream(seed, "adoption")
    n, f = world.company.n, len(FEATURES)
    level = sigmoid(world.company.mu)[:, None]
    delay = np.array([d for _, _, d in FEATURES])[None, :]
    months = delay * (1.6 - level) + rng.exponential(1.0, (n, f))
    never = rng.random((n, f)) < 0.08 + 0.4 * (1 - level) ** 2
    months = np.where(never, np.inf, months)
    return np.asarray(np.where(delay < 0, -np.inf, months), dtype=np.float64)


def expected_batch_accounts(world: World, events_per_user_day: float) -> int:
    """Accounts per batch so a batch holds about BATCH_EVENTS events."""
    per_account_month = events_per_user_day * float(world.company.seats0.mean()) * 0.6 * 22
    return int(np.clip(BATCH_EVENTS / max(per_account_month, 1e-9), 256, 65_536))


def events(
    seed: int,
    world: World,
    sink: TableSink,
    *,
    events_per_user_day: float,
    progress: Callable[[int, int], None] | None = None,
    plays: PlayPlan | None = None,
) -> int:
    """Write all events; returns how many. ``plays`` adds the planted plays' extra users."""
    co = world.company
    window = world.window
    n = co.n
    names = pa.array([name for name, _, _ in FEATURES], pa.string())
    shares = np.array([s for _, s, _ in FEATURES])
    thresholds = (np.cumsum(shares) / shares.sum() * 65536).astype(np.int64)[:-1]
    prop_strings, prop_off, prop_n = feature_properties()
    props = pa.array(prop_strings, pa.string())
    p_off, p_n = np.array(prop_off), np.array(prop_n)
    hour_table = _hour_table()
    shift_us = np.array(REGION_UTC_SHIFT_HOURS)[co.region] * US_PER_HOUR
    adopt = adoption_months(seed, world)
    n_feat = adopt.shape[1]
    user_base = np.concatenate([[0], np.cumsum(world.seats.max(axis=1))[:-1]]).astype(np.int64)
    chunk = expected_batch_accounts(world, events_per_user_day)
    batches = window.months * ((n + chunk - 1) // chunk)
    done = 0
    next_id = 1
    for m in range(window.months):
        ms, me = int(window.bounds[m]), int(window.bounds[m + 1])
        days = np.arange(ms, me, dtype=np.int64)
        dow = DOW[weekday(days)]
        day_us = days * US_PER_DAY
        tenure = months_between(co.created_day, np.full(n, ms))
        if plays is not None:
            plays.decide(m)
        for c0 in range(0, n, chunk):
            rng = stream(seed, "events", m, c0)
            acc = np.arange(c0, min(c0 + chunk, n))
            acc = acc[world.seats[acc, m] > 0]
            batch = _batch(rng, world, acc, m, days, dow, events_per_user_day)
            if batch is not None:
                ai, di, bits, n_users = batch
                a = acc[ai]
                user = (n_users[ai] * ((bits & 0xFFFF) / 65536.0) ** 2).astype(np.int64)
                feat = np.searchsorted(thresholds, (bits >> 16) & 0xFFFF, side="right")
                ok = _adopted_lookup(adopt, tenure, a, feat, n_feat)
                feat = np.where(ok, feat, FALLBACK_FEATURE)
                hour = hour_table[(bits >> 32) & 0x3FF]
                second = (((bits >> 42) & 0xFFF) * 3600) >> 12
                ts = day_us[di] + hour * US_PER_HOUR + shift_us[a] + second * 1_000_000
                prop = p_off[feat] + ((((bits >> 54) & 0xFF) * p_n[feat]) >> 8)
                keep = ts < window.end_us
                if not keep.all():
                    a, user, feat, ts, prop = a[keep], user[keep], feat[keep], ts[keep], prop[keep]
                if plays is not None:
                    plays.observe(m, a, user_base[a] + user, ts)
                ids = np.arange(next_id, next_id + len(a))
                sink.write(
                    {
                        "message_id": _prefixed("evt_", ids),
                        "account_id": co.account_ids.take(pa.array(a)),
                        "user_id": _prefixed("usr_", user_base[a] + user + 1),
                        "event": _dictionary(feat, names),
                        "timestamp": ts,
                        "properties": _dictionary(prop, props),
                    }
                )
                next_id += len(a)
            done += 1
            if progress is not None:
                progress(done, batches)
        if plays is not None:
            next_id = _play_events(plays, m, sink, names, props, p_off, next_id)
    return next_id - 1


def _play_events(
    plays: PlayPlan,
    m: int,
    sink: TableSink,
    names: pa.Array,
    props: pa.Array,
    p_off: I64,
    next_id: int,
) -> int:
    """The planted plays' extra users in month ``m``: a dashboard view every working day."""
    a, user, ts = plays.extra_events(m)
    keep = ts < plays.world.window.end_us
    a, user, ts = a[keep], user[keep], ts[keep]
    if len(a) == 0:
        return next_id
    plays.observe(m, a, user, ts)
    feat = np.full(len(a), FALLBACK_FEATURE, dtype=np.int64)
    ids = np.arange(next_id, next_id + len(a))
    sink.write(
        {
            "message_id": _prefixed("evt_", ids),
            "account_id": plays.world.company.account_ids.take(pa.array(a)),
            "user_id": _prefixed("usr_", user + 1),
            "event": _dictionary(feat, names),
            "timestamp": ts,
            "properties": _dictionary(p_off[feat], props),
        }
    )
    return next_id + len(a)


def _prefixed(prefix: str, numbers: I64) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def _dictionary(codes: I64, values: pa.Array) -> pa.DictionaryArray:
    """A dictionary column over a fixed list: Parquet writes it without hashing strings."""
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), values)


def _adopted_lookup(adopt: F64, tenure: I64, a: I64, feat: I64, n_feat: int) -> NDArray[np.bool_]:
    flat = adopt.reshape(-1)[a * n_feat + feat]
    return np.asarray(flat <= tenure[a], dtype=np.bool_)


def _batch(
    rng: np.random.Generator,
    world: World,
    acc: I64,
    m: int,
    days: I64,
    dow: F64,
    rate: float,
) -> tuple[I64, I64, I64, I64] | None:
    """Draw how many events each account has each day, and the random bits of each event."""
    if len(acc) == 0:
        return None
    h = np.nan_to_num(world.health[acc, m], nan=0.5)
    seats = world.seats[acc, m]
    n_users = np.maximum(1, np.round(seats * (0.2 + 0.65 * h))).astype(np.int64)
    per_day = n_users * rate * (0.4 + 1.2 * h)
    life = world.life[acc]
    d = days[None, :]
    alive = ((d >= life[:, 0:1]) & (d < life[:, 1:2])) | ((d >= life[:, 2:3]) & (d < life[:, 3:4]))
    lam = per_day[:, None] * dow[None, :] * alive
    counts = rng.poisson(lam).ravel()
    total = int(counts.sum())
    if total == 0:
        return None
    flat = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    n_days = len(days)
    ai, di = np.divmod(flat, n_days)
    bits = np.asarray(rng.bit_generator.random_raw(total)).view(np.int64)
    return ai, di, bits, n_users
