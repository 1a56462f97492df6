"""Per-account figures computed once per change of the data, not once per page view.

Computing every account's status, MRR and ARR is a few set-based queries (tens of ms at
10,000 accounts); the accounts list needs them on every page. They depend only on the
accounts and subscriptions tables, the analytics settings and the day, so they are kept
keyed by those: the store file, a fingerprint of both tables (row count and latest
``loaded_at``: every load and every Segment write sets it), the settings and ``as_of``.
Anything that changes either table changes the key, so a cached answer is never stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import duckdb

T = TypeVar("T")
KEEP = 16  # entries kept (distinct days, settings or stores), least recently used dropped

_FINGERPRINT = """
SELECT (SELECT path FROM duckdb_databases() WHERE database_name = current_database()),
       (SELECT count(*) FROM accounts), (SELECT max(loaded_at) FROM accounts),
       (SELECT count(*) FROM subscriptions), (SELECT max(loaded_at) FROM subscriptions)
"""


class FiguresCache:
    """A small, thread-safe memo of per-account figures keyed by the data they come from."""

    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, object] = OrderedDict()

    def get(self, cur: duckdb.DuckDBPyConnection, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``key`` on this store's current data."""
        full = (tuple(cur.execute(_FINGERPRINT).fetchall()[0]), key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            self._items[full] = value
            while len(self._items) > self._keep:
                self._items.popitem(last=False)
        return value


figures_cache = FiguresCache()
