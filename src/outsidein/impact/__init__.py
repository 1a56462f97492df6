"""Impact: the measured effect of each playbook on usage, health and retention.

Firings (who was treated, when, held out or not) come from ``playbook_firings``; outcomes
from the daily snapshot, health history and MRR. Designs: a randomised holdout, a
regression discontinuity at a firing threshold, and staggered difference-in-differences
(Callaway-Sant'Anna). docs/impact.md.
"""

from outsidein.impact.estimate import METHODS, estimate_all, estimate_play, playbooks_fired
from outsidein.impact.history import import_firings
from outsidein.impact.models import OUTCOMES, AccountRow, Estimate, EventPoint, PlayImpact

__all__ = [
    "METHODS",
    "OUTCOMES",
    "AccountRow",
    "Estimate",
    "EventPoint",
    "PlayImpact",
    "estimate_all",
    "estimate_play",
    "import_firings",
    "playbooks_fired",
]
