"""The segments ``outsidein demo`` saves, so the segment pages show the demo company.

Each is a filter a CS team keeps; the demo company (the simulator) has members in each.
"""

from __future__ import annotations

import duckdb

from outsidein.segments.fields import Context
from outsidein.segments.language import catalogue
from outsidein.segments.membership import Refresh, refresh_membership
from outsidein.segments.saved import create_segment, list_segments

__all__ = ["DEMO_SEGMENTS", "save_demo_segments"]

#: (id, name, filter, description)
DEMO_SEGMENTS: tuple[tuple[str, str, str, str], ...] = (
    ("at-risk-enterprise", "At-risk enterprise", 'segment = "enterprise" and health < 60',
     "Enterprise customers whose health is low: a CSM call this week."),
    ("renewing-90-days", "Renewing in 90 days",
     'days_to_renewal <= 90 and lifecycle_status != "churned"',
     "Term contracts renewing within 90 days: start the renewal conversation."),
    ("quiet-payers", "Quiet paying customers", "mrr > 0 and days_since_last_activity >= 14",
     "Paying, and no product use for two weeks or more."),
    ("healthy-promoters", "Healthy promoters", "nps >= 9 and health >= 60",
     "Promoters in good health: candidates for references and case studies."),
    ("low-seat-use", "Low seat use", "seat_utilization < 0.4 and seats_bought >= 5",
     "Fewer than 40 % of the seats bought are used: adoption, or a contraction risk."),
)  # fmt: skip


def save_demo_segments(con: duckdb.DuckDBPyConnection, context: Context | None = None) -> Refresh:
    """Save the demo segments that are not saved yet and compute every segment's members."""
    fields = catalogue(con, context)
    saved = {s.segment_id for s in list_segments(con, deleted=True)}
    for sid, name, text, description in DEMO_SEGMENTS:
        if sid not in saved:
            create_segment(con, name, text, fields, description=description, author="demo",
                           segment_id=sid)  # fmt: skip
    return refresh_membership(con, context)
