"""The DuckDB store: connection, schema migrations and the canonical table specs."""

from outsidein.store.connection import connect
from outsidein.store.migrate import LATEST_VERSION, current_version, migrate
from outsidein.store.tables import LOAD_ORDER, TABLES, Column, Table

__all__ = [
    "LATEST_VERSION",
    "LOAD_ORDER",
    "TABLES",
    "Column",
    "Table",
    "connect",
    "current_version",
    "migrate",
]
