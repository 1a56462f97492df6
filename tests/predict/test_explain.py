"""Drivers said in words: the figures behind each family, from the account's own row."""

from __future__ import annotations

import math

import pandas as pd

from outsidein.predict.explain import WORDS
from outsidein.predict.features import DERIVED, family_of


def test_an_incident_burst_and_slow_cases_are_said() -> None:
    row = pd.Series(
        {"cases_opened_90": 5.0, "urgent_cases": 1.0, "severe_cases_180": 4.0,
         "severe_cases_peak_30": 3.0, "case_time_to_sla_90": 1.8}
    )  # fmt: skip
    assert WORDS["support"](row) == (
        "5 cases opened in 90 days; 1 urgent cases open; "
        "3 high or urgent cases within 30 days (in the last 180); "
        "cases took 1.8x their SLA to close"
    )
    calm = pd.Series({"cases_opened_90": 1.0, "severe_cases_180": 1.0, "severe_cases_peak_30": 1.0})
    assert WORDS["support"](calm) == "1 cases opened in 90 days; 1 high or urgent cases in 180 days"


def test_a_champion_departure_noted_in_a_touchpoint_is_said() -> None:
    row = pd.Series({"champion_left_noted_days": 12.0, "champion_changed_days": math.nan})
    assert WORDS["champion"](row) == "the champion left (noted 12 days ago)"
    both = pd.Series({"champion_left_noted_days": 70.0, "champion_changed_days": 20.0})
    assert (
        WORDS["champion"](both)
        == "the champion left (noted 70 days ago); a new champion 20 days ago"
    )


def test_a_slow_usage_decline_is_said_when_the_last_28_days_held() -> None:
    row = pd.Series(
        {"active_users_change_28": 0.02, "active_users_change_90": -0.35, "active_users_28": 13.0}
    )
    assert (
        WORDS["usage"](row)
        == "active users fell 35% in 90 days; 13 active users in the last 28 days"
    )


def test_every_derived_feature_has_its_family() -> None:
    for derived in DERIVED:
        assert family_of(derived.name) == derived.family


def test_journey_outcome_plan_and_value_features_have_their_families_and_words() -> None:
    """Inputs other packages added to health (journey, outcome surveys, success plans, CLV)
    are told by their own family, not as usage."""
    expected = {"interruptions_30d": "journey", "journey_stage": "journey",
                "outcome_satisfaction": "outcomes", "plans_off_track": "success plans",
                "clv": "value", "p_alive": "value", "rfm_segment": "value"}  # fmt: skip
    assert {name: family_of(name) for name in expected} == expected
    row = pd.Series({"interruptions_30d": 3.0, "journey_stage": "service", "days_in_stage": 40.0,
                     "outcome_satisfaction": 2.5, "plans_off_track": 2.0})  # fmt: skip
    assert WORDS["journey"](row) == "3 journey interruptions in 30 days"
    quiet = pd.Series({"interruptions_30d": 0.0, "journey_stage": "service", "days_in_stage": 40.0})
    assert WORDS["journey"](quiet) == "40 days in the service stage"
    assert WORDS["outcomes"](row) == "outcome satisfaction 2.5 of 10"
    assert WORDS["success plans"](row) == "2 success plans off track"
