"""One timeline per account: everything that happened to it, across every function.

The timeline is the union of registered sources (:mod:`outsidein.timeline.registry`), each a
small SQL select; the canonical tables' sources are in :mod:`outsidein.timeline.builtin`.
Notes and logged calls and meetings are this package's own table (:mod:`.notes`).
"""

from __future__ import annotations

from outsidein.timeline import actions as _actions  # noqa: F401  (registers the sources)
from outsidein.timeline import builtin as _builtin  # noqa: F401  (registers the sources)
from outsidein.timeline.models import Note, TimelineItem, TimelinePage
from outsidein.timeline.notes import NOTE_KINDS, add_note
from outsidein.timeline.query import account_timeline, parse_kinds
from outsidein.timeline.registry import (
    COLUMNS,
    TimelineSource,
    kinds,
    register_source,
    sources,
)

__all__ = [
    "COLUMNS",
    "NOTE_KINDS",
    "Note",
    "TimelineItem",
    "TimelinePage",
    "TimelineSource",
    "account_timeline",
    "add_note",
    "kinds",
    "parse_kinds",
    "register_source",
    "sources",
]
