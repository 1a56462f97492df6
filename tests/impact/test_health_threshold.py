"""A configured ``health_below`` playbook is measured by regression discontinuity, and a
store with a month-end health history has health effects.

On a simulated store: health scored at every month end (``score_history``, as the demo
does), the playbook run once on a past day; its firings record the score they fired on
(``score``, ``score_field``, ``threshold``), so the design is the discontinuity at the
threshold, sharp (no account on the wrong side), with estimates on usage and health.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from outsidein.config import OutsideInConfig, parse_config
from outsidein.health.service import score_history
from outsidein.impact import PlayImpact, estimate_play
from outsidein.playbooks import run_playbooks
from outsidein.store import connect

from .conftest import AS_OF, build

pytestmark = pytest.mark.slow  # a simulated company scored month by month (~12 s idle)

THRESHOLD = 70
FIRED = datetime(2026, 7, 1, 9, 0)
SAVE = {"name": "health-save", "trigger": {"kind": "health_below", "threshold": THRESHOLD},
        "cooldown_days": 0, "actions": [{"kind": "task", "title": "Call them"}]}  # fmt: skip


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlayImpact, int]]:
    folder = tmp_path_factory.mktemp("rd")
    company = build(folder, seed=11, accounts=200, months=12)
    raw = tomllib.loads((folder / "outsidein.toml").read_text(encoding="utf-8"))
    config: OutsideInConfig = parse_config({**raw, "playbooks": {"playbooks": [SAVE]}}, "test")
    con = connect(company.db)
    try:
        runs = score_history(con, config, date(2025, 11, 1), AS_OF)
        run_playbooks(con, config, origin="test", now=FIRED)
        yield estimate_play(con, "health-save"), len(runs)
    finally:
        con.close()


def test_the_history_has_a_score_at_every_month_end(measured: tuple[PlayImpact, int]) -> None:
    _, runs = measured
    assert runs == 12  # 2025-11-30 to 2026-10-31


def test_a_health_below_playbook_is_a_regression_discontinuity(
    measured: tuple[PlayImpact, int],
) -> None:
    play, _ = measured
    assert play.design == "threshold", play.warnings
    assert play.treated >= 20 and play.controls >= 20
    assert not any("against the threshold rule" in w for w in play.warnings)  # sharp
    assert all(
        a.score is not None and a.score < THRESHOLD for a in play.accounts if a.group == "treated"
    )
    for outcome in ("active_users_28", "health_score"):
        e = play.estimate(outcome)
        assert e is not None and e.effect is not None and e.ci_low is not None, outcome
