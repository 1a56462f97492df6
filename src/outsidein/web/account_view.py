"""What the account page draws: its usage charts (web/charts.py) from the daily snapshot's
points that :func:`outsidein.web.queries.account_usage.account_usage_history` read.

Every number comes from those points; this module only shapes them.
"""

from __future__ import annotations

from typing import Any

from outsidein.web import charts
from outsidein.web.schemas.accounts import AccountUsage

INK, TEAL, AMBER = "#12263a", "#0f766e", "#b45309"


def _rows(usage: AccountUsage) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in usage.points]


def users_chart(usage: AccountUsage) -> charts.Spec | None:
    """Active users over 7 and 28 days (the 28-day count is the seats used) against the
    seats bought, per day; None when there are no days to draw."""
    if not usage.points:
        return None
    return charts.line(
        _rows(usage),
        "date",
        [
            ("active_users_7", "Active users, 7 days", TEAL),
            ("active_users_28", "Seats used, 28 days", INK),
            ("seats_bought", "Seats bought", AMBER),
        ],
        "Active users and seats per day",
        monthly=False,
        y_title="Users",
        legend_columns=1,
    )


def adoption_chart(usage: AccountUsage) -> charts.Spec | None:
    """Seat utilisation and the share of key features used, per day, read against 100%;
    None when neither has a value (no seats bought, no key features configured)."""
    key_count = len(usage.key_features)
    series = [("seat_utilization", "Seat utilisation", AMBER)]
    if key_count:
        series.append(("breadth_28", f"Key features used, of {key_count}", TEAL))
    rows = _rows(usage)
    if not any(r.get(column) is not None for r in rows for column, _, _ in series):
        return None
    return charts.line(
        rows,
        "date",
        series,
        "Seat utilisation and key features used per day",
        percent=True,
        monthly=False,
        y_title="Share, 28 days",
        reference=1.0,
        legend_columns=1,
    )
