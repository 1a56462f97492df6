"""Model versions, the publish guard, scoring with history, and the scores read back by
segments and playbooks, on a small simulated company (tests/predict/trained.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from outsidein.playbooks.facts import gather
from outsidein.playbooks.triggers import REGISTRY, TriggerContext
from outsidein.predict import scores, service, versions
from outsidein.predict.dataset import NotEnoughExamplesError
from outsidein.predict.step import run_once
from outsidein.segments import Context, preview
from outsidein.settings.playbooks import ChurnRiskAbove
from outsidein.store import connect

from .trained import FOLDS, analytics, predict_world

pytestmark = pytest.mark.slow  # one trained company (~60 s to build on a quiet machine)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return predict_world(tmp_path_factory, "predict-ops")


@pytest.fixture
def con(stores: tuple[Path, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(stores[0])
    yield c
    c.close()


def test_a_version_keeps_its_window_metrics_model_and_report(
    con: duckdb.DuckDBPyConnection,
) -> None:
    found = versions.list_versions(con)
    assert [v.target for v in found] == ["expansion", "churn"]
    churn = versions.published(con, "churn")
    assert churn is not None and churn.published and not churn.forced
    assert churn.window_first < churn.window_last
    # the window ends where the labels do: the last day whose horizon is over
    last = service.last_snapshot_day(con)
    assert churn.window_last + timedelta(days=churn.horizon_days) <= last
    assert len(churn.metrics["folds"]) == FOLDS and 0.6 < (churn.auc or 0) <= 1
    assert churn.rows > 1000 and 20 <= churn.positives < churn.rows
    model = versions.load_model(con, churn.version)
    assert 0 <= model.weight <= 1
    html = versions.report_html(con, churn.version)
    for part in (
        "per backtest fold",
        "Lift by decile",
        "Cumulative gain",
        "Reliability",
        "Brier",
        "expected calibration error",
        "Feature importance",
        "stability index",
    ):
        assert part in html, part
    assert f"{churn.auc:.3f}" in html
    # offline: nothing fetched (the SVG namespace is a name, not a request)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script" not in html and html.count("<svg") >= 6


def test_the_guard_refuses_a_worse_backtest_unless_forced(con: duckdb.DuckDBPyConnection) -> None:
    current = versions.published(con, "churn")
    assert current is not None and current.auc is not None
    run = service.train_version(con, "churn", observations=8, folds=1, config=analytics())
    assert run.auc is not None
    if run.auc < current.auc:  # train_version stored it unpublished, saying why
        assert not run.published and run.refused and "below the published" in run.refused
        assert versions.published(con, "churn").version == current.version  # type: ignore[union-attr]
    else:  # a better one took its place
        assert run.published and run.refused is None
    worse, better = sorted(
        [run.version, current.version], key=lambda v: versions.get_version(con, v).auc or 0
    )
    versions.publish(con, better, force=True)
    low, high = versions.get_version(con, worse).auc, versions.get_version(con, better).auc
    assert low is not None and high is not None and low < high
    with pytest.raises(versions.PublishRefusedError) as refused:
        versions.publish(con, worse)
    assert f"{low:.3f}" in refused.value.message and f"{high:.3f}" in refused.value.message
    assert "--force" in refused.value.message
    assert versions.published(con, "churn").version == better  # type: ignore[union-attr]
    forced = versions.publish(con, worse, force=True)
    assert forced.published and forced.forced
    assert versions.get_version(con, better).published is False
    versions.publish(con, current.version, force=True)  # back as it was for the other tests


def test_too_few_examples_says_to_rank_by_health(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotEnoughExamplesError, match="health score"):
        service.train_version(con, "churn", observations=3, folds=1, config=analytics())


def test_scores_keep_history_and_drivers(con: duckdb.DuckDBPyConnection) -> None:
    last = service.last_snapshot_day(con)
    earlier = service.score_accounts(con, last - timedelta(days=30), config=analytics())
    now = service.score_accounts(con, config=analytics())
    assert now.day == last and set(now.accounts) == {"churn", "expansion"}
    assert now.accounts["churn"] > 200 and earlier.accounts["churn"] > 200
    rows = scores.latest(con, "churn")
    assert len(rows) == now.accounts["churn"]
    assert all(0 <= r["probability"] <= 1 for r in rows)
    assert rows[0]["probability"] >= rows[-1]["probability"]
    top = rows[0]
    assert top["drivers"] and all(d["words"] and d["contribution"] > 0 for d in top["drivers"])
    found = service.explain_account(con, top["account_id"])
    assert found.targets["churn"]["probability"] == top["probability"]
    days = sorted({t["day"] for t in found.trend if t["target"] == "churn"})
    assert days[-2:] == [last - timedelta(days=30), last]
    # rescoring the same day replaces it
    again = service.score_accounts(con, config=analytics())
    (n,) = con.execute(
        "SELECT count(*) FROM predictions WHERE day = ? AND target = 'churn'", [last]
    ).fetchone()  # type: ignore[misc]
    assert n == again.accounts["churn"]


def test_the_summary_adds_up(con: duckdb.DuckDBPyConnection) -> None:
    s = scores.summary(con)
    rows = scores.latest(con, "churn")
    assert s.accounts == len(rows) == sum(b["accounts"] for b in s.risk_bands)
    assert s.expected_churn_arr == pytest.approx(sum(r["probability"] * r["arr"] for r in rows))
    assert sum(m["arr_at_risk"] for m in s.arr_at_risk_by_month) == pytest.approx(
        s.expected_churn_arr
    )
    assert sum(g["accounts"] for g in s.drivers_by_segment) == len(rows)
    # each segment's drivers: the share of its accounts' risk-raising contributions, counted
    # here again from the stored drivers
    for g in s.drivers_by_segment:
        mine = [r for r in rows if (r["segment"] or "(no segment)") == g["segment"]]
        weight: dict[str, float] = {}
        for r in mine:
            for d in r["drivers"]:
                weight[d["family"]] = weight.get(d["family"], 0.0) + d["contribution"]
        total = sum(weight.values())
        assert g["accounts"] == len(mine)
        assert [d["family"] for d in g["drivers"]] == sorted(weight, key=weight.__getitem__)[::-1][
            : len(g["drivers"])
        ]
        for d in g["drivers"]:
            assert d["share"] == pytest.approx(weight[d["family"]] / total)
            assert d["accounts"] == sum(
                1 for r in mine if r["drivers"] and r["drivers"][0]["family"] == d["family"]
            )
    assert any(g["drivers"] for g in s.drivers_by_segment)
    assert any(m["month"][0].isdigit() for m in s.arr_at_risk_by_month)


def test_segments_and_playbooks_read_the_scores(con: duckdb.DuckDBPyConnection) -> None:
    last = service.last_snapshot_day(con)
    rows = scores.latest(con, "churn")
    threshold = sorted(r["probability"] for r in rows)[-10]  # about ten accounts above
    expected = {r["account_id"] for r in rows if r["probability"] > threshold}
    ctx = Context(analytics=analytics())
    found = preview(con, f"churn_risk > {threshold!r}", last, ctx, limit=100)
    assert found.count == len(expected) > 0
    assert {r["account_id"] for r in found.rows} == expected
    assert preview(con, "expansion_propensity >= 0", last, ctx).count == len(rows)
    facts = gather(con, datetime.combine(last, datetime.min.time()), config=analytics())
    kind = REGISTRY["churn_risk_above"]
    hits = kind.evaluate(
        TriggerContext(con, facts), ChurnRiskAbove(kind="churn_risk_above", threshold=threshold)
    )
    assert set(hits.column("account_id").to_pylist()) == expected
    assert "predictions" in kind.reads


def test_the_step_rescores_only_when_something_moved(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM predict_state")
    assert (run_once(con, analytics()) or 0) > 200
    assert run_once(con, analytics()) is None  # nothing moved
    current = versions.published(con, "churn")
    assert current is not None
    other = versions.list_versions(con, "churn")
    if len(other) > 1:  # a publish moves it
        alt = next(v for v in other if v.version != current.version)
        versions.publish(con, alt.version, force=True)
        assert run_once(con, analytics()) is not None
        versions.publish(con, current.version, force=True)
