"""Advocate candidates: healthy promoters with broad adoption, and the champion to ask.

On a day, a paying customer is a candidate when all of these hold (``[advocates]``):

* its health score in force at the end of the day (:func:`outsidein.health.history.scores_at`,
  an override standing in) is at least ``min_health``;
* its latest NPS answer of the last ``nps_days`` (the health input's rule: the latest by
  ``answered_at``) is at least ``min_nps`` — a promoter by :mod:`outsidein.analytics.nps`;
* the daily snapshot's row of the day (its latest day before, when it was not brought up
  to date since) shows broad adoption: ``breadth_28`` (the share of the
  key features used in 28 days) at least ``min_breadth`` and ``active_users_28`` at least
  ``min_active_users``; paying means the snapshot's ``mrr`` is above 0.

The **champion** named is the contact who gave that answer; without one (an answer loaded
without its contact), the account's contact with the role ``champion``; else the most active
user of the 28 days (a user id). Each candidate carries its reason in words. Nothing is
computed twice: health, NPS answers and adoption are read as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.analytics.usage import MONTH_WINDOW
from outsidein.health.history import scores_at
from outsidein.settings.advocates import AdvocatesConfig

__all__ = ["Advocate", "advocate_table", "advocates", "reason"]


@dataclass(frozen=True)
class Advocate:
    """One candidate, why, and whom to ask."""

    account_id: str
    name: str
    csm_id: str | None
    health: float
    nps: float
    answered_at: datetime
    champion_id: str | None  # a contact id, or a user id when no contact is known
    champion_name: str | None
    champion_email: str | None
    champion_source: str  # "nps answer", "champion contact" or "most active user"
    key_features_used: int
    key_features: int
    active_users: int
    reason: str


def reason(row: dict[str, Any], key_features: int) -> str:
    """ "health 82, NPS 10 from Jane Roe on 2026-10-02, 7 of 9 key features, 14 active
    users" (the figures the thresholds were checked on)."""
    who = row["champion_name"] or row["champion_id"] or "an unnamed contact"
    answered = row["answered_at"]
    text = f"health {row['health']:.0f}, NPS {row['nps']:.0f}"
    if row["champion_source"] == "nps answer":
        text += f" from {who}"
    text += f" on {answered:%Y-%m-%d}"
    used = int(row["key_features_used"])
    if key_features:
        text += f", {used} of {key_features} key features"
    return text + f", {int(row['active_users'])} active users"


def _end(day: date) -> datetime:
    end = datetime.combine(day + timedelta(days=1), time())
    return min(end, datetime.now(UTC).replace(tzinfo=None))


_SQL = f"""
WITH snap AS (
    SELECT account_id, key_features_used_{MONTH_WINDOW} AS used,
           breadth_{MONTH_WINDOW} AS breadth, active_users_{MONTH_WINDOW} AS users
    FROM account_daily_metrics
    WHERE date = (SELECT max(date) FROM account_daily_metrics WHERE date <= $day) AND mrr > 0
),
nps AS (
    SELECT account_id, arg_max(score, (answered_at, response_id)) AS nps,
           arg_max(contact_id, (answered_at, response_id)) AS contact_id,
           max(answered_at) AS answered_at
    FROM survey_responses
    WHERE kind = 'nps' AND answered_at < $end AND answered_at >= $nps_from
    GROUP BY account_id
),
champion AS (
    SELECT account_id, arg_max(contact_id, (coalesce(created_at, '-infinity'::TIMESTAMP),
                                            contact_id)) AS contact_id
    FROM contacts WHERE role = 'champion' GROUP BY account_id
),
busiest AS (
    SELECT account_id, arg_max(user_id, (events, user_id)) AS user_id
    FROM (SELECT account_id, user_id, sum(events) AS events FROM usage_user_days
          WHERE activity_date > $day - {MONTH_WINDOW} AND activity_date <= $day
          GROUP BY ALL)
    GROUP BY account_id
),
found AS (
    SELECT a.account_id, a.name, a.csm_id, h.score AS health, nps.nps, nps.answered_at,
           s.used AS key_features_used, s.breadth, s.users AS active_users,
           CASE WHEN nps.contact_id IS NOT NULL THEN 'nps answer'
                WHEN champion.contact_id IS NOT NULL THEN 'champion contact'
                ELSE 'most active user' END AS champion_source,
           coalesce(nps.contact_id, champion.contact_id, busiest.user_id) AS champion_id
    FROM accounts a
    JOIN _oi_adv_health h USING (account_id)
    JOIN snap s USING (account_id)
    JOIN nps USING (account_id)
    LEFT JOIN champion USING (account_id)
    LEFT JOIN busiest USING (account_id)
    WHERE h.score >= $min_health AND nps.nps >= $min_nps AND s.breadth >= $min_breadth
      AND s.users >= $min_users AND ($csm IS NULL OR lower(a.csm_id) = lower($csm))
)
SELECT f.*, c.name AS champion_name, c.email AS champion_email
FROM found f LEFT JOIN contacts c ON c.contact_id = f.champion_id
    AND f.champion_source <> 'most active user'
ORDER BY f.health DESC, f.nps DESC, f.breadth DESC, f.account_id
"""


def _rows(
    con: duckdb.DuckDBPyConnection, day: date, config: AdvocatesConfig, csm: str | None
) -> list[dict[str, Any]]:
    end = _end(day)
    cur = con.cursor()
    try:
        cur.register("_oi_adv_health", scores_at(cur, end))
        result = cur.execute(
            _SQL,
            {
                "day": day, "end": end, "nps_from": end - timedelta(days=config.nps_days),
                "min_health": config.min_health, "min_nps": config.min_nps,
                "min_breadth": config.min_breadth, "min_users": config.min_active_users,
                "csm": csm,
            },
        )  # fmt: skip
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    finally:
        cur.close()


def advocates(
    con: duckdb.DuckDBPyConnection,
    day: date,
    config: AdvocatesConfig,
    *,
    key_features: int,
    csm: str | None = None,
) -> list[Advocate]:
    """The candidates on ``day`` (of ``csm``'s book), healthiest first; ``key_features`` is
    how many the ``[analytics]`` settings name (for "7 of 9 key features")."""
    out = []
    for row in _rows(con, day, config, csm):
        out.append(
            Advocate(
                account_id=row["account_id"], name=row["name"], csm_id=row["csm_id"],
                health=float(row["health"]), nps=float(row["nps"]),
                answered_at=row["answered_at"], champion_id=row["champion_id"],
                champion_name=row["champion_name"], champion_email=row["champion_email"],
                champion_source=row["champion_source"],
                key_features_used=int(row["key_features_used"]), key_features=key_features,
                active_users=int(row["active_users"]), reason=reason(row, key_features),
            )
        )  # fmt: skip
    return out


def advocate_table(con: duckdb.DuckDBPyConnection, day: date, config: AdvocatesConfig) -> pa.Table:
    """``account_id`` of every candidate on ``day`` (for joins: the segment field)."""
    ids = [r["account_id"] for r in _rows(con, day, config, None)]
    return pa.table({"account_id": pa.array(ids, pa.string())})
