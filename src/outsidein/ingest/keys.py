"""Keys a source lacks: a stable id made from the values that identify a row.

``--key-from account_id,plan,start_date`` gives each row the id ``k_`` + the first 24 hex
digits (96 bits) of the SHA-256 of those values (trimmed text, as JSON, so that an empty
value differs from a missing one). The id depends only on the values, never on the row's
position or the load, so a reload of the same rows (in any order) finds the same keys and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from outsidein.ingest.validate import ident

__all__ = ["KEY_PREFIX", "key_sql"]

KEY_PREFIX = "k_"
KEY_HEX_DIGITS = 24


def key_sql(columns: Sequence[str]) -> str:
    """SQL of the key of a row from ``columns`` (quoted identifiers only)."""
    values = ", ".join(f"trim(CAST({ident(c)} AS VARCHAR))" for c in columns)
    return (
        f"'{KEY_PREFIX}' || left(sha256(CAST(to_json(list_value({values})) AS VARCHAR)), "
        f"{KEY_HEX_DIGITS})"
    )
