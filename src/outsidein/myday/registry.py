"""My day's panels: each a function from the day's context to the items a CSM should act on.

A capability adds a panel with one call, made when its module is imported (see
:mod:`outsidein.myday.panels`)::

    register_panel(Panel("overdue_tasks", "Overdue tasks", "No overdue tasks.", overdue))

where ``overdue(ctx: DayContext) -> list[DayItem]`` reads ``ctx.cur`` for the accounts of
``ctx.csm`` (None: every account) on ``ctx.as_of``. Panels are shown in registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.myday.models import DayItem

__all__ = ["DayContext", "Panel", "panel", "panels", "register_panel"]


@dataclass(frozen=True)
class DayContext:
    """What every panel reads: the store, the configuration, whose book, which day."""

    cur: duckdb.DuckDBPyConnection
    config: OutsideInConfig
    csm: str | None  # None: every account
    as_of: date  # the data-aware today (outsidein.analytics.today)
    at: datetime  # now, for stored history (health scores)
    days: int  # how far back "new" and "dropped" look, and ahead "due"

    def book_sql(self, alias: str = "a") -> str:
        """A condition keeping the accounts of the book (bind ``$csm`` to :attr:`csm`)."""
        return f"($csm IS NULL OR lower({alias}.csm_id) = lower($csm))"


@dataclass(frozen=True)
class Panel:
    """One list on My day: its name (API key), title, what it says when empty, its items."""

    name: str
    title: str
    empty: str
    items: Callable[[DayContext], list[DayItem]]


_PANELS: dict[str, Panel] = {}


def register_panel(found: Panel) -> Panel:
    """Add (or replace, by name) a panel of My day; returns it."""
    _PANELS[found.name] = found
    return found


def panels() -> list[Panel]:
    return list(_PANELS.values())


def panel(name: str) -> Panel:
    return _PANELS[name]
