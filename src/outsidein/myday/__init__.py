"""My day: what a CSM should act on today, panel by panel, in their book.

Panels are registered functions (:mod:`outsidein.myday.registry`); this package's own are in
:mod:`outsidein.myday.panels`. :func:`my_day` runs them all for one book and day; the page,
``GET /api/v1/my-day`` and ``outsidein my-day`` all call it.
"""

from __future__ import annotations

from outsidein.myday import panels as _panels  # noqa: F401  (registers the panels)
from outsidein.myday import tasks as _tasks  # noqa: F401  (overdue tasks, after them)
from outsidein.myday.models import DayItem, DayPanel, MyDay
from outsidein.myday.registry import DayContext, Panel, panels, register_panel
from outsidein.myday.service import DAYS, LIMIT, my_day

__all__ = [
    "DAYS",
    "LIMIT",
    "DayContext",
    "DayItem",
    "DayPanel",
    "MyDay",
    "Panel",
    "my_day",
    "panels",
    "register_panel",
]
