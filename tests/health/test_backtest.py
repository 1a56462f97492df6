"""The backtest: labels from what happened after each point, and an AUC equal to one counted
here by hand, pair by pair."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.errors import InvalidRequestError
from outsidein.health.backtest import backtest, monthly_points
from outsidein.health.history import Scored
from outsidein.store import connect
from tests.health.conftest import insert
from tests.web.conftest import TODAY

N = 40
HORIZON = 90


def test_monthly_points() -> None:
    assert monthly_points(date(2026, 6, 29), 3, 90) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
    ]  # fmt: skip
    with pytest.raises(InvalidRequestError, match="months must be 1 to 36"):
        monthly_points(TODAY, 0)


def test_auc_lift_and_bands_match_a_count_by_hand(tmp_path: Path) -> None:
    rng = random.Random(3)
    points = monthly_points(TODAY, 12, HORIZON)
    start = points[0] - timedelta(days=400)
    con = connect(tmp_path / "b.duckdb")
    nps: dict[str, float] = {}
    ends: dict[str, date | None] = {}
    cut: dict[str, date | None] = {}  # when the second of two equal subscriptions ends
    accounts, subs, answers = [], [], []
    for i in range(N):
        aid = f"A{i:02d}"
        accounts.append((aid, aid, None, None, "SMB", None, 1, None, start))
        nps[aid] = float(rng.randint(0, 10))
        # Low NPS makes leaving likelier; chance keeps the AUC away from 1.
        leaves = rng.random() < 0.2 + 0.5 * (10 - nps[aid]) / 10
        when = points[0] + timedelta(days=rng.randint(10, 360)) if leaves else None
        ends[aid] = when if leaves and i % 3 else None
        cut[aid] = when if leaves and not i % 3 else None
        subs.append((f"S{i}", aid, "p", 100, "USD", 1, start, ends[aid], "active"))
        subs.append((f"T{i}", aid, "q", 100, "USD", 1, start, cut[aid] or ends[aid], "active"))
        answers += [
            (f"R{i}-{k}", aid, None, "NPS", p - timedelta(days=1), "nps", nps[aid], None, None,
             None, None)
            for k, p in enumerate(points)
        ]  # fmt: skip
    insert(con, "accounts", accounts)
    insert(con, "subscriptions", subs)
    insert(con, "survey_responses", answers)
    build_snapshot(con, AnalyticsConfig(), TODAY, since=points[0] - timedelta(days=1))

    seen_segments: list[object] = []

    def score(inputs: pa.Table) -> Scored:
        seen_segments.extend(inputs.column("segment").to_pylist())
        values = [None if v is None else v * 10 for v in inputs.column("nps").to_pylist()]
        bands = [None if v is None else "red" if v < 50 else "green" for v in values]
        ids = inputs.column("account_id")
        empty: dict[str, list[object]] = {
            "measure": [],
            "raw": [],
            "points": [],
            "weight": [],
            "contribution": [],
        }
        return Scored(
            pa.table(
                {"account_id": ids, "scorecard": ["n"] * len(ids), "score": values, "band": bands}
            ),
            pa.table({"account_id": pa.array([], pa.string()), **empty, "missing": []}),
        )

    report = backtest(con, score, TODAY, horizon_days=HORIZON)
    con.close()
    assert report.points == points and set(seen_segments) == {None}
    assert [(x.name, x.reason) for x in report.left_out] == [
        ("segment", "no history: only today's value is known"),
        ("parent_account_id", "no history: only today's value is known"),
    ]
    # The outcomes, from how the company was built: paying at t, and 90 days later churned
    # (both subscriptions end) or contracted (one of two ends: -50 %).
    pos: list[float] = []
    neg: list[float] = []
    for t in points:
        later = t + timedelta(days=HORIZON)
        for aid in nps:
            end, drop = ends[aid], cut[aid]
            paying = end is None or end > t
            if not paying:
                continue
            lost = (end is not None and end <= later) or (drop is not None and t < drop <= later)
            (pos if lost else neg).append(nps[aid] * 10)
    assert report.observations == len(pos) + len(neg) and report.lost == len(pos)
    assert 0 < len(pos) < report.observations
    wins = sum((n > p) + 0.5 * (n == p) for p in pos for n in neg)
    assert report.auc == pytest.approx(wins / (len(pos) * len(neg)), abs=1e-12)
    assert (
        report.auc is not None and 0.55 < report.auc < 0.99
    )  # informative, not perfect: the test can tell them apart
    everyone = sorted(pos + neg)
    decile = everyone[: -(-len(everyone) // 10)]
    assert report.lowest_decile_rate is not None and report.base_rate is not None
    assert report.base_rate == pytest.approx(len(pos) / report.observations)
    # The lowest decile holds the lowest scores (ties broken by point and account).
    assert max(decile) <= min(everyone[len(decile) :])
    red = [s for s in pos if s < 50], [s for s in neg if s < 50]
    rates = {b.band: (b.observations, b.lost) for b in report.bands}
    assert rates["red"] == (len(red[0]) + len(red[1]), len(red[0]))
    assert rates["green"][1] == len(pos) - len(red[0])
    assert len(report.per_point) == 12 and sum(p.observations for p in report.per_point) == (
        report.observations
    )
