"""Per-account figures computed once per change of the data, not once per page view.

Computing every account's status, MRR and ARR is a few set-based queries (tens of ms at
10,000 accounts); the accounts list needs them on every page. They depend only on the
accounts, subscriptions and contracts tables, the analytics settings and the day, so they
are kept keyed by those: the store file, a fingerprint of the tables (row count and latest
``loaded_at``: every load and every Segment write sets it), the settings and ``as_of``.
Anything that changes one of the tables changes the key, so a cached answer is never stale.
The account page reads its one row of the same figures: a list and a page share one
computation.

One request asks for several figures (the accounts list: the statuses, the filter values);
inside :meth:`FiguresCache.one_reading` they share one reading of the fingerprint.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import duckdb

T = TypeVar("T")
KEEP = 16  # entries kept (distinct days, settings or stores), least recently used dropped

_FINGERPRINT = """
SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()),
       (SELECT count(*) FROM accounts), (SELECT max(loaded_at) FROM accounts),
       (SELECT count(*) FROM subscriptions), (SELECT max(loaded_at) FROM subscriptions),
       (SELECT count(*) FROM contracts), (SELECT max(loaded_at) FROM contracts)
"""


# The cursor of the request in progress (in this thread or task) and its fingerprint.
_PINNED: ContextVar[tuple[duckdb.DuckDBPyConnection, tuple[Any, ...]] | None] = ContextVar(
    "figures_fingerprint", default=None
)


class FiguresCache:
    """A small, thread-safe memo of per-account figures keyed by the data they come from."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self.readings = 0  # times the fingerprint was read from a store (a test counts them)
        self.computed = 0  # times a figure was computed, not found (a test counts them)

    def _fingerprint(self, cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] is cur:
            return pinned[1]
        with self._lock:
            self.readings += 1
        return tuple(cur.execute(_FINGERPRINT).fetchall()[0])

    @contextmanager
    def one_reading(self, cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """Inside, every :meth:`get` on ``cur`` reuses one reading of the fingerprint (read
        here): the figures of one request describe the same data, found once."""
        pinned = _PINNED.get()
        if pinned is not None and pinned[0] is cur:  # an enclosing block already read it
            yield
            return
        token = _PINNED.set((cur, self._fingerprint(cur)))
        try:
            yield
        finally:
            _PINNED.reset(token)

    def get(self, cur: duckdb.DuckDBPyConnection, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``key`` on this store's current data."""
        full = (self._fingerprint(cur), key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self.computed += 1
            self._items[full] = value
            while len(self._items) > self._keep:
                self._items.popitem(last=False)
        return value


figures_cache = FiguresCache()
