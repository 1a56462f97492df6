"""Planted plays: interventions whose true effect on measured usage is known exactly.

Five plays fire at 09:00 UTC on the first day of a month, each with its own design: one with
a real effect and one with none (a single wave), one adopted in staggered waves, one fired at
an observable score threshold (active users over 28 days, as the daily snapshot measures
them, the day before), and one randomised with a holdout. A treated account gains ``extra``
users from the firing on: people who open the product (a dashboard view) every working day
while the account is a customer. Each is active in every 28-day window that starts on or
after the firing, so the true effect on the snapshot's ``active_users_28`` is exactly
``extra``; key-feature use is unchanged (a dashboard view is not a key feature) and the plays
never change churn (true effect on the churn probability: 0).

A sixth play changes churn and nothing else: an upsell push at a random share of paying
customers raises the churn probability at each renewal date in the 90 days after it by
``CHURN_DELTA`` (probability units). Churn is drawn in the world loop, so the world decides
who it treats (``world.ChurnPlay``) and this plan records those firings; its truth on churn
within 90 days is the treated accounts' mean change of the chance to churn in those days.
The firings are written as ``plays/playbook_firings.parquet`` (what the playbooks would have
recorded), the truth as ``ground_truth/plays.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR, Window, to_date, weekday
from outsidein.sim.streams import stream
from outsidein.sim.world import ChurnPlay, World

I64 = NDArray[np.int64]
B = NDArray[np.bool_]

FIRINGS_FILE = Path("plays") / "playbook_firings.parquet"
MAX_EXTRA = 8  # extra users a play may add to one account
THRESHOLD = 6  # the low-adoption call: fewer than 6 active users over 28 days
SCORE_FIELD = "active_users_28"
HOLDOUT_SHARE = 0.5
FIRED_HOUR = 9
MIN_MONTH = 3  # a play needs three months of history before it
CHURN_DELTA = 0.15  # the churn play: added to the churn probability at a renewal date


@dataclass(frozen=True)
class Play:
    name: str
    role: str  # effective | null | staggered | threshold | holdout | churn
    extra: int  # true effect on active_users_28 per treated account
    months_back: tuple[int, ...]  # firing months, counted back from the window's end
    share: float  # share of customers drawn each wave (threshold: all below it)
    description: str


PLAYS: tuple[Play, ...] = (
    Play("onboarding-webinar", "effective", 3, (6,), 0.3,
         "Invite the account's people to an onboarding webinar: three more people use it."),
    Play("tips-newsletter", "null", 0, (6,), 0.3,
         "A newsletter of product tips: nobody new uses the product."),
    Play("adoption-waves", "staggered", 2, (9, 7, 5, 3), 0.12,
         "An adoption programme rolled out in four waves two months apart: two more users."),
    Play("low-adoption-call", "threshold", 3, (5,), 1.0,
         f"A call to accounts with fewer than {THRESHOLD} active users over 28 days the day "
         "before: three more users."),
    Play("sponsor-outreach", "holdout", 2, (6, 5, 4), 0.15,
         f"Executive-sponsor outreach, randomised: {HOLDOUT_SHARE:.0%} of the accounts drawn "
         "are held out; the others gain two users."),
    Play("renewal-upsell-push", "churn", 0, (5,), 0.3,
         f"An upsell push before renewals: at each renewal date in the 90 days after it the "
         f"account's churn probability is {CHURN_DELTA:.2f} higher; usage is unchanged."),
)  # fmt: skip


def churn_play(window: Window) -> ChurnPlay | None:
    """The world's part of the churn play: when it fires, at whom, by how much."""
    play = next(p for p in PLAYS if p.role == "churn")
    month = window.months - play.months_back[0]
    return ChurnPlay(month, play.share, CHURN_DELTA) if month >= MIN_MONTH else None


@dataclass
class PlayPlan:
    """Who each play treats and from when; the usage generator asks it for extra events."""

    world: World
    seed: int
    first_extra_user: int  # user numbers from here on are the plays' extra users
    enabled: bool = True  # False: a world without the plays (no firings, no extra users)
    # firings: play index, account, day, held out, score (nan unless threshold)
    rows: dict[str, list[Any]] = field(default_factory=dict)
    _scores: dict[int, list[tuple[I64, I64]]] = field(default_factory=dict)

    def add(self, play: int, acc: I64, day: int, held: B, score: NDArray[np.float64]) -> None:
        for key, values in (
            ("play", np.full(len(acc), play)),
            ("account", acc),
            ("day", np.full(len(acc), day)),
            ("held_out", held),
            ("score", score),
        ):
            self.rows.setdefault(key, []).append(np.asarray(values))

    def column(self, key: str) -> NDArray[Any]:
        parts = self.rows.get(key, [])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def month_of_play(self, play: Play) -> list[int]:
        months = self.world.window.months
        return [months - b for b in play.months_back if months - b >= MIN_MONTH]

    def alive(self, acc: I64, day: int | I64) -> B:
        life = self.world.life[acc]
        d = np.asarray(day)
        return np.asarray(
            ((d >= life[:, 0]) & (d < life[:, 1])) | ((d >= life[:, 2]) & (d < life[:, 3])),
            dtype=np.bool_,
        )

    def decide(self, m: int) -> None:
        """At the start of month ``m``: the plays that fire on its first day choose accounts."""
        if not self.enabled:
            return
        rng = stream(self.seed, "plays", m)
        day = int(self.world.window.bounds[m])
        n = self.world.company.n
        for k, play in enumerate(PLAYS):
            if m not in self.month_of_play(play):
                continue
            acc = np.flatnonzero(self.alive(np.arange(n), day) & (self.world.seats[:, m] > 0))
            if play.role == "churn":  # the world chose them, before drawing churn
                picked = np.flatnonzero(self.world.play_day == day)
                self.add(
                    k, picked, day, np.zeros(len(picked), np.bool_), np.full(len(picked), np.nan)
                )
                continue
            if play.role == "threshold":
                score = self.score(m, acc)
                pick = score < THRESHOLD
                self.add(k, acc[pick], day, np.zeros(int(pick.sum()), np.bool_), score[pick])
                continue
            fired = self.column("account")[self.column("play") == k]
            acc = acc[~np.isin(acc, fired)]
            acc = acc[rng.random(len(acc)) < play.share]
            held = (
                rng.random(len(acc)) < HOLDOUT_SHARE
                if play.role == "holdout"
                else np.zeros(len(acc), np.bool_)
            )
            self.add(k, acc, day, held, np.full(len(acc), np.nan))

    def threshold_months(self) -> list[int]:
        return [m for p in PLAYS if p.role == "threshold" for m in self.month_of_play(p)]

    def observe(self, m: int, acc: I64, user: I64, ts: I64) -> None:
        """Keep who used the product in the 28 days before a threshold play fires (the score:
        events of the two months before, by UTC day, as the snapshot counts them)."""
        for target in self.threshold_months():
            if m not in (target - 2, target - 1):
                continue
            end = int(self.world.window.bounds[target])
            keep = (ts >= (end - 28) * US_PER_DAY) & (ts < end * US_PER_DAY)
            self._scores.setdefault(target, []).append((acc[keep], user[keep]))

    def score(self, m: int, acc: I64) -> NDArray[np.float64]:
        """Active users over the 28 days before month ``m`` (distinct users, as measured)."""
        seen = self._scores.get(m, [])
        counts = np.zeros(self.world.company.n)
        if seen:
            a = np.concatenate([s[0] for s in seen])
            u = np.concatenate([s[1] for s in seen])
            pairs = np.unique(np.stack([a, u], axis=1), axis=0) if len(a) else np.zeros((0, 2))
            counts = np.bincount(pairs[:, 0].astype(np.int64), minlength=len(counts)).astype(
                np.float64
            )
        return np.asarray(counts[acc], dtype=np.float64)

    def extra_events(self, m: int) -> tuple[I64, I64, I64]:
        """Account, user number and timestamp of every extra user's event in month ``m``."""
        ms, me = int(self.world.window.bounds[m]), int(self.world.window.bounds[m + 1])
        plays, acc, day = self.column("play"), self.column("account"), self.column("day")
        held = self.column("held_out").astype(np.bool_)
        extra = np.array([PLAYS[int(p)].extra for p in plays], dtype=np.int64)
        live = (~held) & (extra > 0) & (day < me)
        days = np.arange(ms, me, dtype=np.int64)
        days = days[weekday(days) < 5]
        out_a, out_u, out_t = [], [], []
        for p, a, d0, x in zip(plays[live], acc[live], day[live], extra[live], strict=True):
            on = days[(days >= d0) & self.alive(np.full(len(days), a), days)]
            if len(on) == 0:
                continue
            j = np.arange(int(x))
            users = self.first_extra_user + (int(a) * len(PLAYS) + int(p)) * MAX_EXTRA + j
            out_a.append(np.full(len(on) * len(j), a))
            out_u.append(np.tile(users, len(on)))
            out_t.append(np.repeat(on * US_PER_DAY + 10 * US_PER_HOUR, len(j)))
        if not out_a:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return (
            np.concatenate(out_a).astype(np.int64),
            np.concatenate(out_u).astype(np.int64),
            np.concatenate(out_t).astype(np.int64),
        )

    def firings_table(self) -> pa.Table:
        """The firings as the playbooks record them (``playbook_firings``)."""
        plays, acc, day = self.column("play"), self.column("account"), self.column("day")
        held = self.column("held_out").astype(np.bool_)
        score = self.column("score").astype(np.float64)
        order = np.lexsort((acc, day, plays))
        ids = self.world.company.account_ids.to_pylist()
        names, reasons, contexts = [], [], []
        for i in order.tolist():
            play = PLAYS[int(plays[i])]
            names.append(play.name)
            if play.role == "threshold":
                reasons.append(f"{SCORE_FIELD} below {THRESHOLD}")
                ctx = {"score_field": SCORE_FIELD, "score": float(score[i]), "threshold": THRESHOLD}
            else:
                reasons.append(f"wave of {to_date(int(day[i])):%Y-%m}")
                ctx = {"wave": f"{to_date(int(day[i])):%Y-%m}"}
            contexts.append(json.dumps(ctx, sort_keys=True))
        fired_us = day[order] * US_PER_DAY + FIRED_HOUR * US_PER_HOUR
        return pa.table(
            {
                "firing_id": [f"SIM-{n + 1:07d}" for n in range(len(order))],
                "account_id": [ids[int(a)] for a in acc[order]],
                "playbook": names,
                "playbook_version": pa.array(np.ones(len(order)), pa.int32()),
                "variant": ["default"] * len(order),
                "reason": reasons,
                "context": contexts,
                "held_out": pa.array(held[order]),
                "actions": pa.array((~held[order]).astype(np.int32)),
                "fired_at": pa.array(fired_us.astype(np.int64)).cast(pa.timestamp("us")),
            }
        )

    def write(self, out: Path, truth_path: Path) -> Path:
        """Write the firings and the truth; returns the firings file."""
        path = out / FIRINGS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.firings_table(), path, compression="zstd", store_schema=False)
        plays, held = self.column("play"), self.column("held_out").astype(np.bool_)
        body = []
        for k, play in enumerate(PLAYS):
            mine = plays == k
            churn = self.world.play_effect if play.role == "churn" else {}
            body.append(
                {
                    "name": play.name,
                    "role": play.role,
                    "description": play.description,
                    "firing_months": [
                        f"{to_date(int(self.world.window.bounds[m])):%Y-%m}"
                        for m in self.month_of_play(play)
                    ],
                    "treated": int((mine & ~held).sum()),
                    "held_out": int((mine & held).sum()),
                    "threshold": THRESHOLD if play.role == "threshold" else None,
                    "score_field": SCORE_FIELD if play.role == "threshold" else None,
                    "true_effect": {
                        "active_users_28": float(play.extra),
                        "key_features_used_28": 0.0,
                        "churn_90d": float(churn.get("churn_90d", 0.0)),
                    },
                    "churn_probability_delta_at_renewal": (
                        float(churn.get("churn_probability_delta_at_renewal", 0.0))
                    ),
                }
            )
        truth_path.parent.mkdir(parents=True, exist_ok=True)
        truth_path.write_text(
            json.dumps({"plays": body}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        return path
