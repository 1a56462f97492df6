"""The demo's outbox: a few touches on the simulated company, delivered to the log only.

``outsidein demo`` writes ``[outbox] delivery = "log"`` into the company's settings, so
nothing leaves the machine; this queues risk alerts (webhooks) for the accounts with the
lowest health and check-in emails to their champions, with keys that make a second demo
run add nothing, and delivers them once. The page then shows each state: sent, held by
the frequency cap (a second email to the same champion) or by quiet hours (contacts whose
evening it is), and suppressed (a contact who unsubscribed).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.outbox.consent import set_consent
from outsidein.outbox.deliver import deliver_due
from outsidein.outbox.queue import enqueue, list_messages
from outsidein.settings.outbox import OutboxSettings

__all__ = ["DemoOutbox", "seed_demo_outbox"]


@dataclass(frozen=True)
class DemoOutbox:
    queued: int
    counts: dict[str, int]


def seed_demo_outbox(
    con: duckdb.DuckDBPyConnection, config: OutsideInConfig, accounts: int = 6
) -> DemoOutbox:
    """Queue and deliver the demo's touches (only with ``delivery = "log"``: never real mail)."""
    if config.outbox.delivery != "log":
        return DemoOutbox(0, list_messages(con, page_size=1).counts)
    rows = con.execute(
        """SELECT a.account_id, min(c.contact_id) AS champion
           FROM accounts a
           JOIN (SELECT account_id, score, row_number() OVER (PARTITION BY account_id
                 ORDER BY valid_from DESC) AS n FROM health_scores) h
             ON h.account_id = a.account_id AND h.n = 1
           JOIN contacts c ON c.account_id = a.account_id AND c.role = 'champion'
                AND c.email IS NOT NULL
           GROUP BY a.account_id, h.score ORDER BY h.score, a.account_id LIMIT ?""",
        [accounts],
    ).fetchall()
    queued = 0
    for i, (account_id, champion) in enumerate(rows):
        common = {"account_id": account_id, "source": "demo", "config": config}
        enqueue(
            con, channel="webhook", contact_id=None, template="risk_alert",
            context={"reason": "lowest health in the book"},
            idempotency_key=f"demo:risk:{account_id}", **common,
        )  # fmt: skip
        enqueue(
            con, channel="email", contact_id=champion, template="check_in", context={},
            idempotency_key=f"demo:check-in:{account_id}", **common,
        )  # fmt: skip
        queued += 2
        if i == 0:  # a second email to the same champion: over the frequency cap, it waits
            enqueue(
                con, channel="email", contact_id=champion, template="check_in",
                context={"again": True}, idempotency_key=f"demo:check-in-2:{account_id}",
                **common,
            )  # fmt: skip
            queued += 1
        if i == len(rows) - 1:  # a contact who unsubscribed: their email is suppressed
            set_consent(con, champion, "unsubscribed", "demo")
    deliver_due(con, config.outbox, OutboxSettings(), limit=100)
    return DemoOutbox(queued, list_messages(con, page_size=1).counts)
