"""Day arithmetic the renewals and invoices rely on."""

from __future__ import annotations

from datetime import date

import numpy as np

from outsidein.sim.calendar import (
    add_months,
    day_number,
    make_window,
    months_between,
    to_date,
    weekday,
)


def days(*ds: date) -> np.ndarray:
    return np.array([day_number(d) for d in ds], dtype=np.int64)


def test_add_months_clamps_to_month_end() -> None:
    got = add_months(
        days(date(2024, 1, 31), date(2024, 2, 29), date(2023, 5, 15)), np.array([1, 12, 24])
    )
    assert [to_date(int(d)) for d in got] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2025, 5, 15),
    ]


def test_months_between_and_weekday() -> None:
    assert months_between(days(date(2024, 1, 31)), days(date(2025, 3, 1))).tolist() == [14]
    assert weekday(days(date(2025, 6, 30), date(2025, 7, 6))).tolist() == [0, 6]  # Mon, Sun


def test_window_ends_before_as_of() -> None:
    w = make_window(date(2025, 7, 1), 12)
    assert w.month_start(0) == date(2024, 7, 1)
    assert w.month_start(11) == date(2025, 6, 1)
    assert to_date(w.end_day) == date(2025, 7, 1)
    assert w.month_of(days(date(2024, 6, 30), date(2024, 7, 1), date(2025, 6, 30))).tolist() == [
        -1,
        0,
        11,
    ]
    partial = make_window(date(2025, 7, 10), 3)
    assert partial.month_start(2) == date(2025, 7, 1) and to_date(partial.end_day) == date(
        2025, 7, 10
    )
