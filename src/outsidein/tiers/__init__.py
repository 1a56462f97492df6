"""Touch tiers and advocates: who gets which kind of attention, and whom to ask for a reference.

``rules`` assigns each customer a touch tier from its ARR and potential by the ``[tiers]``
settings; ``history`` stores the tiers as facts with their changes over time, ``service``
records a day (and backfills months), ``step`` keeps them current in the server's pipeline;
``coverage`` turns tiers into the CSMs they need; ``read`` is what the pages, API and CLI show;
``advocates`` finds healthy promoters with broad adoption and names their champion;
``fields`` gives both as fields for segment filters. docs/tiers.md describes them.
"""

from outsidein.tiers.advocates import Advocate, advocate_table, advocates
from outsidein.tiers.coverage import Coverage, CsmCoverage, TierFigures, coverage
from outsidein.tiers.fields import segment_fields
from outsidein.tiers.history import account_history, record_tiers, tiers_at
from outsidein.tiers.read import account_tier, list_accounts, report
from outsidein.tiers.rules import assign, tier_inputs
from outsidein.tiers.service import assigned_on, backfill, record_day

__all__ = [
    "Advocate",
    "Coverage",
    "CsmCoverage",
    "TierFigures",
    "account_history",
    "account_tier",
    "advocate_table",
    "advocates",
    "assign",
    "assigned_on",
    "backfill",
    "coverage",
    "list_accounts",
    "record_day",
    "record_tiers",
    "report",
    "segment_fields",
    "tier_inputs",
    "tiers_at",
]
