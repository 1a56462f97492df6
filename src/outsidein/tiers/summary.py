"""One line on a store's tiers and advocates, for ``outsidein demo`` and the closing notes."""

from __future__ import annotations

from datetime import date

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.tiers.advocates import advocates
from outsidein.tiers.read import report

__all__ = ["summary"]


def summary(con: duckdb.DuckDBPyConnection, config: OutsideInConfig, day: date) -> str:
    """ "tiers on 2026-12-01: High-touch 163, Low-touch 512, Tech-touch 900 customers; 317
    advocate candidates" — the figures of the tiers and advocates pages."""
    tiers = report(con, config.tiers, day).coverage.tiers
    found = advocates(con, day, config.advocates, key_features=len(config.analytics.key_features))
    counts = ", ".join(f"{t.label} {t.accounts:,}" for t in tiers)
    return f"tiers on {day}: {counts} customers; {len(found):,} advocate candidates"
