"""The team: each CSM's book of business, capacity by tier, revenue per CSM, and rebalancing.

``books`` reads the store (customers with their CSM, ARR, tier and health; each CSM's tasks
and renewals), ``capacity`` says how full a book is against the touch tiers' coverage and the
person's own capacity, ``rebalance`` suggests the fewest moves that bring every book within
it, ``report`` puts them together as the one reading the page, the API and the CLI show,
``summary`` is its one line for ``outsidein demo``. docs/team.md describes them.
"""

from outsidein.team.books import RENEWAL_DAYS, Customer, Figures, read_books
from outsidein.team.capacity import FULL, Limits, costs, load_of
from outsidein.team.rebalance import Held, Move, Plan, rebalance
from outsidein.team.report import CsmBook, TeamReport, TierCapacity, team_report

__all__ = [
    "FULL",
    "RENEWAL_DAYS",
    "CsmBook",
    "Customer",
    "Figures",
    "Held",
    "Limits",
    "Move",
    "Plan",
    "TeamReport",
    "TierCapacity",
    "costs",
    "load_of",
    "read_books",
    "rebalance",
    "team_report",
]
