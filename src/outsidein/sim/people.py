"""Contacts at each customer: champion, executive sponsor, admins and users.

When a champion leaves (a churn driver planted in ``world``) the contact stays on file with
"(left company)" in the title and a new champion appears a month or two later, if the
account is still a customer: the trace a CS team would actually see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outsidein.sim import names as nm
from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR
from outsidein.sim.streams import stream
from outsidein.sim.world import World
from outsidein.store.tables import CONTACT_ROLES

I64 = NDArray[np.int64]
CHAMPION, SPONSOR, ADMIN, USER = range(4)


@dataclass(frozen=True)
class Directory:
    """Contacts as columns, plus per-account lookups that keep later stages vectorized."""

    contact_ids: pa.StringArray
    account: I64
    role: I64
    created_us: I64
    left_us: I64  # when the contact left the company, -1 if still there
    first: I64  # per account: index of its first contact (contacts are grouped by account)
    count: I64  # per account: number of original contacts
    champion: I64  # per account: the original champion
    admin: I64  # per account: the first admin
    new_champion: I64  # per account: the replacement champion, -1 if none
    table: pa.Table

    def champion_at(self, account: I64, at_us: I64) -> I64:
        """The account's champion at a time (the admin while there is none)."""
        left = self.left_us[self.champion[account]]
        gone = (left >= 0) & (at_us >= left)
        repl = self.new_champion[account]
        has_new = (repl >= 0) & (at_us >= self.created_us[np.maximum(repl, 0)])
        out = np.where(gone, np.where(has_new, repl, self.admin[account]), self.champion[account])
        return np.asarray(out, dtype=np.int64)

    def anyone(self, account: I64, u: NDArray[np.float64]) -> I64:
        """A random original contact of each account (``u`` uniform in [0, 1))."""
        pick = self.first[account] + np.floor(u * self.count[account]).astype(np.int64)
        return np.asarray(pick, dtype=np.int64)


def make_contacts(seed: int, world: World) -> Directory:
    """Draw each account's contacts, and the replacement champions."""
    rng = stream(seed, "contacts")
    co = world.company
    n = co.n
    sponsor = (co.segment > 0) | (rng.random(n) < 0.5)
    admins = 1 + (co.seats0 > 50)
    users = np.minimum(co.seats0, rng.integers(2, 4 + 3 * co.segment))
    count = 1 + sponsor + admins + users
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    account = np.repeat(np.arange(n), count)
    pos = np.arange(len(account)) - first[account]
    role = np.full(len(account), USER)
    role[pos == 0] = CHAMPION
    has_sponsor = sponsor[account]
    role[(pos == 1) & has_sponsor] = SPONSOR
    admin_lo = 1 + has_sponsor
    role[(pos >= admin_lo) & (pos < admin_lo + admins[account])] = ADMIN
    lead = rng.uniform(0, 2, len(account)) * US_PER_DAY
    created = co.created_us[account] + lead.astype(np.int64)
    created = np.minimum(created, world.window.end_us - 1)
    left = np.full(len(account), -1, dtype=np.int64)
    champion = first.copy()
    admin = first + 1 + sponsor
    left_day = world.champion_left_day
    gone = left_day >= 0
    left[champion[gone]] = left_day[gone] * US_PER_DAY + 15 * US_PER_HOUR

    # replacement champions for accounts still customers 30-90 days after the departure
    rday = left_day + rng.integers(30, 90, n)
    active_then = _active_on(world.life, rday)
    replace = gone & active_then & (rday < world.window.end_day)
    new_idx = np.full(n, -1, dtype=np.int64)
    extra = np.flatnonzero(replace)
    new_idx[extra] = len(account) + np.arange(len(extra))
    account = np.concatenate([account, extra])
    role = np.concatenate([role, np.full(len(extra), CHAMPION)])
    extra_created = rday[extra] * US_PER_DAY + 14 * US_PER_HOUR
    created = np.concatenate([created, extra_created])
    left = np.concatenate([left, np.full(len(extra), -1, dtype=np.int64)])

    total = len(account)
    first_names = pa.array(nm.FIRST_NAMES).take(pa.array(rng.integers(0, 60, total)))
    last_names = pa.array(nm.LAST_NAMES).take(pa.array(rng.integers(0, 60, total)))
    people = pc.binary_join_element_wise(first_names, last_names, " ")
    local = pc.utf8_lower(pc.binary_join_element_wise(first_names, last_names, "."))
    emails = pc.binary_join_element_wise(local, co.domains.take(pa.array(account)), "@")
    options = [nm.TITLES[r] for r in CONTACT_ROLES]
    offsets = np.cumsum([0] + [len(o) for o in options])[:-1]
    sizes = np.array([len(o) for o in options])
    pick = offsets[role] + rng.integers(0, 1 << 20, total) % sizes[role]
    titles = pa.array([t for o in options for t in o]).take(pa.array(pick))
    titles = pc.if_else(
        pa.array(left >= 0), pc.binary_join_element_wise(titles, " (left company)", ""), titles
    )
    width = max(7, len(str(total)))
    ids = pc.binary_join_element_wise(
        "CON-",
        pc.utf8_lpad(pc.cast(pa.array(np.arange(1, total + 1)), pa.string()), width, "0"),
        "",
    )
    table = pa.table(
        {
            "contact_id": ids,
            "account_id": co.account_ids.take(pa.array(account)),
            "name": people,
            "email": emails,
            "role": pa.array(CONTACT_ROLES).take(pa.array(role)),
            "title": titles,
            "created_at": pa.array(created.astype("datetime64[us]")),
            "timezone": pa.array(nm.REGION_TIMEZONES).take(pa.array(co.region[account])),
        }
    )
    return Directory(
        contact_ids=ids,
        account=account,
        role=role,
        created_us=created,
        left_us=left,
        first=first,
        count=count.astype(np.int64),
        champion=champion,
        admin=admin.astype(np.int64),
        new_champion=new_idx,
        table=table,
    )


def _active_on(life: I64, day: I64) -> NDArray[np.bool_]:
    first = (day >= life[:, 0]) & (day < life[:, 1])
    second = (day >= life[:, 2]) & (day < life[:, 3])
    return np.asarray(first | second, dtype=np.bool_)
