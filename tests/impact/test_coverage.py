"""Acceptance: on five simulated companies, each play's 95 % interval holds its planted effect.

The simulator plants six plays (outsidein.sim.plays, ground_truth/plays.json) with their
true effect in measured units: active users over 28 days (+3, 0, +2, +3, +2, 0) and churn
within 90 days (0 for the first five; the upsell push raises the churn probability at each
renewal date in its 90 days by 0.15, about +0.2 on churn within 90 days, computed per seed in
the world loop). The interval must hold the truth in at least 4 of 5 seeds for each play, on
active users and on churn; the churn play's interval must also exclude zero in 4 of 5 (the
retention estimate sees a real effect, not only a true zero). Run with ``-s`` to see the
figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outsidein.impact import PlayImpact, estimate_all
from outsidein.store import connect

from .conftest import Company, build

pytestmark = pytest.mark.slow

SEEDS = (1, 2, 3, 4, 5)
ACCOUNTS = 300
MONTHS = 18
ROLES = {
    "effective": ("onboarding-webinar", "did"),
    "null": ("tips-newsletter", "did"),
    "staggered": ("adoption-waves", "did"),
    "threshold": ("low-adoption-call", "threshold"),
    "holdout": ("sponsor-outreach", "holdout"),
    "churn": ("renewal-upsell-push", "did"),
}


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[Company, list[PlayImpact]]]]:
    out = []
    for seed in SEEDS:
        company = build(
            tmp_path_factory.mktemp(f"seed{seed}"), seed=seed, accounts=ACCOUNTS, months=MONTHS
        )
        con = connect(company.db, read_only=True)
        try:
            out.append((company, estimate_all(con)))
        finally:
            con.close()
    yield out


def _covers(play: PlayImpact, outcome: str, truth: float) -> bool:
    e = play.estimate(outcome)
    assert e is not None and e.ci_low is not None and e.ci_high is not None, play.playbook
    return e.ci_low <= truth <= e.ci_high


@pytest.mark.parametrize("role", list(ROLES))
def test_interval_holds_the_planted_effect_in_four_of_five_seeds(
    role: str, runs: list[tuple[Company, list[PlayImpact]]]
) -> None:
    name, design = ROLES[role]
    users = churn = churn_found = 0
    lines = []
    for company, plays in runs:
        play = next(p for p in plays if p.playbook == name)
        assert play.design == design
        truth = company.truth[name]
        assert truth["role"] == role
        true_users = truth["true_effect"]["active_users_28"]
        users += _covers(play, "active_users_28", true_users)
        true_churn = truth["true_effect"]["churn_90d"]
        churn += _covers(play, "churn_90d", true_churn)
        churn_found += not _covers(play, "churn_90d", 0.0)
        e, c = play.estimate("active_users_28"), play.estimate("churn_90d")
        assert e is not None and e.effect is not None and c is not None
        lines.append(
            f"{e.effect:+.2f} [{e.ci_low:+.2f}, {e.ci_high:+.2f}] truth {true_users:+.0f}; "
            f"churn {c.effect:+.3f} [{c.ci_low:+.3f}, {c.ci_high:+.3f}] truth {true_churn:+.3f}"
        )
    print(f"\n{role} ({name}, {design}): active users covered {users}/5, churn {churn}/5")
    print("  " + "\n  ".join(lines))
    assert users >= 4
    assert churn >= 4
    if role == "churn":
        assert churn_found >= 4


def test_the_threshold_play_fired_on_the_score_the_store_measures(
    runs: list[tuple[Company, list[PlayImpact]]],
) -> None:
    """The simulator's recorded score is the snapshot's active_users_28 the day before, and
    every account below the threshold, and none above, was treated (a sharp design)."""
    company, plays = runs[0]
    con = connect(company.db, read_only=True)
    try:
        rows = con.execute(
            "SELECT f.account_id, CAST(json_extract(f.context, '$.score') AS DOUBLE), "
            "m.active_users_28 FROM playbook_firings f JOIN account_daily_metrics m "
            "ON m.account_id = f.account_id AND m.date = CAST(f.fired_at AS DATE) - 1 "
            "WHERE f.playbook = 'low-adoption-call'"
        ).fetchall()
    finally:
        con.close()
    assert len(rows) >= 20
    assert all(score == measured for _, score, measured in rows)
    play = next(p for p in plays if p.playbook == "low-adoption-call")
    assert not any("against the threshold rule" in w for w in play.warnings)


def test_the_null_play_reads_zero_and_the_warnings_stay_quiet_on_good_data(
    runs: list[tuple[Company, list[PlayImpact]]],
) -> None:
    """Few false alarms: pre-trends flagged in at most one seed per play (5 % each)."""
    flagged = sum(
        any(w.startswith("pre-trends") for w in p.warnings) for _, plays in runs for p in plays
    )
    assert flagged <= 3


def test_a_second_import_adds_nothing(
    runs: list[tuple[Company, list[PlayImpact]]], tmp_path: Path
) -> None:
    from outsidein.impact import import_firings

    company, _ = runs[0]
    con = connect(company.db)
    try:
        assert import_firings(con, company.data / "plays" / "playbook_firings.parquet") == 0
    finally:
        con.close()
