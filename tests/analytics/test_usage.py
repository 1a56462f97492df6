"""Usage over trailing windows on the hand-checked events of tests/analytics/company.py.

Windows ending 2024-06-15: 7 days = 06-09..06-15, 28 = 05-19..06-15, 90 = 03-18..06-15.
Key features (4): report.created, dashboard.shared, export.run, alert.set.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute
import pytest

from outsidein.analytics import (
    AnalyticsConfig,
    Sources,
    account_usage,
    daily_snapshot,
    feature_counts,
)
from outsidein.analytics.errors import AnalyticsError
from tests.analytics.company import AS_OF, CONFIG


def by_account(table: Any) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in table.to_pyarrow().to_pylist()}


def test_windows_for_one_account(sources: Sources) -> None:
    a1 = by_account(account_usage(sources, CONFIG, AS_OF))["A1"]
    assert a1["account_name"] == "Upgrade Downgrade Ltd" and a1["date"] == AS_OF
    # 7 days: u1 x2 (06-15), u2 (06-14), u3 (06-09 00:00); u4 at 06-08 23:59 is outside.
    assert (a1["active_users_7"], a1["events_7"], a1["key_features_used_7"]) == (3, 4, 2)
    assert a1["events_per_active_user_7"] == pytest.approx(4 / 3)
    assert a1["breadth_7"] == 0.5
    assert a1["stickiness_7"] == pytest.approx(3 / (3 * 7))  # 3 user-days / (3 users x 7)
    assert (a1["events_prev_7"], a1["events_trend_7"]) == (1, 3.0)  # 06-02..06-08: u4
    # 28 days adds u4 (06-08 and 05-19, export.run); alert.set on 05-18 is just outside.
    assert (a1["active_users_28"], a1["events_28"], a1["key_features_used_28"]) == (4, 6, 3)
    assert a1["breadth_28"] == 0.75
    assert a1["stickiness_28"] == pytest.approx(5 / (4 * 28))
    assert (a1["events_prev_28"], a1["events_trend_28"]) == (1, 5.0)
    # 90 days adds 05-18 (u1) and 03-18 (u2); 03-17 is the previous window's last day.
    assert (a1["active_users_90"], a1["events_90"], a1["key_features_used_90"]) == (4, 8, 4)
    assert (a1["breadth_90"], a1["events_per_active_user_90"]) == (1.0, 2.0)
    assert a1["stickiness_90"] == pytest.approx(7 / (4 * 90))
    assert a1["events_prev_90"] == 3  # 03-17, 01-05, 2023-12-19 (12-18 is outside)
    assert a1["events_trend_90"] == pytest.approx(8 / 3 - 1)
    # Seats: S1c bought 5; 4 users active in 28 days.
    assert (a1["seats_bought"], a1["seats_used"], a1["seat_utilization"]) == (5, 4, 0.8)
    assert a1["mrr"] == Decimal("150.00")
    assert (a1["last_activity_date"], a1["days_since_last_activity"]) == (AS_OF, 0)
    # First value event 2024-01-05, first subscription 2023-11-01: 65 days.
    assert (a1["first_value_date"], a1["time_to_first_value_days"]) == (date(2024, 1, 5), 65)


def test_account_whose_events_predate_its_subscription(sources: Sources) -> None:
    usage = by_account(account_usage(sources, CONFIG, AS_OF))
    a7 = usage["A7"]  # events 2023-12-10 and 2024-01-20, subscription from 2024-05-06
    assert (a7["active_users_90"], a7["events_90"], a7["mrr"]) == (0, 0, Decimal("300.00"))
    assert (a7["last_activity_date"], a7["days_since_last_activity"]) == (date(2024, 1, 20), 147)
    assert a7["first_value_date"] == date(2023, 12, 10)
    assert a7["time_to_first_value_days"] == 0  # value came before the subscription
    assert (a7["events_prev_90"], a7["events_trend_90"]) == (1, -1.0)  # 01-20 vs nothing now
    before = by_account(account_usage(sources, CONFIG, date(2024, 1, 31)))["A7"]
    assert before["time_to_first_value_days"] is None  # no subscription yet
    assert before["active_users_28"] == 1 and before["mrr"] == Decimal("0.00")
    quiet = usage["A2"]  # no events at all
    assert quiet["last_activity_date"] is None and quiet["days_since_last_activity"] is None
    assert quiet["events_per_active_user_28"] is None and quiet["stickiness_28"] is None
    assert quiet["first_value_date"] is None and quiet["time_to_first_value_days"] is None
    assert quiet["seats_bought"] is None and quiet["seat_utilization"] is None


def test_activity_before_the_range_is_carried(sources: Sources) -> None:
    # From 2024-08-01 the look-back (179 days) starts 2024-02-04: A7's 01-20 event and A1's
    # value event of 01-05 are older, and must still show.
    rows = daily_snapshot(sources, CONFIG, date(2024, 8, 1), date(2024, 8, 2)).to_pyarrow()
    got = {(r["account_id"], r["date"]): r for r in rows.to_pylist()}
    assert got["A7", date(2024, 8, 1)]["last_activity_date"] == date(2024, 1, 20)
    assert got["A7", date(2024, 8, 2)]["days_since_last_activity"] == 195
    assert got["A1", date(2024, 8, 1)]["first_value_date"] == date(2024, 1, 5)
    assert got["A1", date(2024, 8, 1)]["active_users_90"] == 4  # 05-18 .. 06-15 in window
    assert len(rows) == 2 * 10


def test_accounts_start_on_their_creation_day(sources: Sources) -> None:
    rows = daily_snapshot(sources, CONFIG, date(2024, 1, 1), date(2024, 2, 10)).to_pyarrow()
    firsts: dict[str, date] = {}
    for r in rows.to_pylist():
        firsts[r["account_id"]] = min(firsts.get(r["account_id"], r["date"]), r["date"])
    assert firsts["A4"] == date(2024, 1, 10) and firsts["A8"] == date(2024, 2, 1)
    assert firsts["A1"] == date(2024, 1, 1)


def test_custom_windows_and_no_key_features(sources: Sources) -> None:
    config = AnalyticsConfig(
        currency_rates=CONFIG.currency_rates, usage_windows=[14], value_event=None
    )
    a1 = by_account(account_usage(sources, config, AS_OF))["A1"]
    assert a1["active_users_14"] == 4 and a1["events_14"] == 5  # 06-02..06-15
    assert a1["breadth_14"] is None and a1["key_features_used_14"] == 0
    assert a1["first_value_date"] is None
    assert "active_users_28" in a1  # seats used is always measured over 28 days


def test_feature_counts(sources: Sources) -> None:
    # 05-19..06-15: logins by u1 (06-15), u3 (06-09) and u4 (06-08)
    counts = feature_counts(sources, AS_OF, 28, account_id="A1").to_pyarrow().to_pylist()
    assert [(r["feature"], r["events"], r["users"]) for r in counts] == [
        ("login", 3, 3),
        ("dashboard.shared", 1, 1),
        ("export.run", 1, 1),
        ("report.created", 1, 1),
    ]
    with pytest.raises(AnalyticsError, match="window must be 1 day or more"):
        feature_counts(sources, AS_OF, 0)


def test_folded_and_dense_grids_agree(sources: Sources) -> None:
    """A short range (folded grid) equals the same days of a long range (dense grid)."""
    short = daily_snapshot(sources, CONFIG, date(2024, 5, 20), AS_OF).to_pyarrow()
    long = daily_snapshot(sources, CONFIG, date(2024, 3, 1), AS_OF).to_pyarrow()
    key = [("account_id", "ascending"), ("date", "ascending")]
    wanted = long.filter(pa.compute.greater_equal(long["date"], pa.scalar(date(2024, 5, 20))))
    assert short.num_rows == 27 * 10
    assert short.sort_by(key).equals(wanted.sort_by(key))
