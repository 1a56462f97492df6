"""Calendars and the [analytics] settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from outsidein.analytics import AnalyticsConfig, periods
from outsidein.analytics.periods import one_year_before
from outsidein.config import OutsideInConfig


def test_periods_chain_and_clip_at_the_as_of_day() -> None:
    months = periods(date(2024, 1, 15), date(2024, 3, 10), "month")
    assert [(p.start, p.closing, p.complete) for p in months] == [
        (date(2024, 1, 1), date(2024, 1, 31), True),
        (date(2024, 2, 1), date(2024, 2, 29), True),
        (date(2024, 3, 1), date(2024, 3, 10), False),
    ]
    assert months[0].opening == date(2023, 12, 31)
    weeks = periods(date(2024, 1, 3), date(2024, 1, 14), "week")  # ISO weeks start Monday
    assert [p.start for p in weeks] == [date(2024, 1, 1), date(2024, 1, 8)]
    assert [p.closing for p in periods(date(2024, 2, 28), date(2024, 3, 1), "day")] == [
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
    ]


@pytest.mark.parametrize(
    ("day", "year_before"),
    [
        (date(2025, 2, 28), date(2024, 2, 29)),  # month end -> month end
        (date(2024, 2, 29), date(2023, 2, 28)),
        (date(2024, 3, 31), date(2023, 3, 31)),
        (date(2024, 6, 15), date(2023, 6, 15)),
    ],
)
def test_one_year_before(day: date, year_before: date) -> None:
    assert one_year_before(day) == year_before


def test_settings_defaults_and_toml_section() -> None:
    config = OutsideInConfig.model_validate(
        {
            "analytics": {
                "reporting_currency": "EUR",
                "currency_rates": {"USD": "0.92"},
                "key_features": ["Report Created"],
                "usage_windows": [30, 7, 7],
            }
        }
    )
    assert config.analytics.rates() == {"USD": Decimal("0.92"), "EUR": Decimal(1)}
    assert config.analytics.usage_windows == [7, 30]
    assert OutsideInConfig().analytics == AnalyticsConfig()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"currency_rates": {"EUR": "0"}}, "the rate for EUR must be greater than 0"),
        ({"currency_rates": {"USD": "1.1"}}, "USD is the reporting currency and must be 1"),
        ({"currency_rates": {"euro": "1.1"}}, "String should match pattern"),
        ({"usage_windows": []}, "give at least one window"),
        ({"usage_windows": [0]}, "greater than or equal to 1"),
        ({"key_feature": ["x"]}, "Extra inputs are not permitted"),
    ],
)
def test_settings_errors_say_what_is_wrong(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AnalyticsConfig.model_validate(section)
