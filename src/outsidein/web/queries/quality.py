"""What the data-quality checks and the churn report answer, as JSON: one builder for
``GET /api/v1/quality``, ``GET /api/v1/churn``, the Quality page and ``outsidein quality`` /
``outsidein churn`` (which print it as tables)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from outsidein.analytics import AnalyticsConfig, store_sources
from outsidein.analytics.churn import churn_disagreements, churn_reasons
from outsidein.analytics.today import ReportDates, report_dates
from outsidein.errors import InvalidRequestError
from outsidein.quality import CHECKS, run_checks
from outsidein.settings.sources import SourcesConfig
from outsidein.store.freshness import data_last_day

__all__ = ["churn_json", "quality_json", "report_dates_of"]


def quality_json(
    cur: duckdb.DuckDBPyConnection, sources: SourcesConfig, limit: int, only: str | None
) -> dict[str, Any]:
    """Every check (or one) with its count, explanation and first findings."""
    if only is not None and only not in {c.name for c in CHECKS}:
        names = ", ".join(c.name for c in CHECKS)
        raise InvalidRequestError(f"unknown check {only!r}; one of: {names}", field="check")
    results = run_checks(cur, sources, limit=limit, only=only)
    return {"checks": [_jsonable(r.__dict__) for r in results]}


def churn_json(
    cur: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig,
    dates: ReportDates,
    grain: str,
    by: str,
) -> dict[str, Any]:
    """Churn reasons by period and ``by``, and the CRM/revenue disagreements on ``as_of``."""
    sources = store_sources(cur)
    reasons = churn_reasons(sources, config, dates.first, dates.as_of, grain=grain, by=by)
    disagreements = churn_disagreements(sources, config, dates.as_of)
    return {
        "from": dates.first.isoformat(),
        "as_of": dates.as_of.isoformat(),
        "grain": grain,
        "by": by,
        "reasons": [_jsonable(r) for r in reasons.to_pyarrow().to_pylist()],
        "disagreements": [_jsonable(r) for r in disagreements.to_pyarrow().to_pylist()],
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, money as text with its cents (as the other reports answer)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, date):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [_jsonable(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def report_dates_of(
    cur: duckdb.DuckDBPyConnection, first: date | None, as_of: date | None
) -> ReportDates:
    return report_dates(first, as_of, data_last_day=data_last_day(cur))
