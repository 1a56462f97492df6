"""Labels *by the next renewal*: each account's outcome read on its own renewal day.

On the shared simulated company (300 accounts, 24 months): every label equals the snapshot's
MRR compared between the observation day and the renewal day, counted here in SQL of its own;
accounts without a term renewal within the horizon have none; the backtest's folds are days
with enough labelled rows and train only on outcomes known before them; the CLI trains such a
model and the API, the page and the report say its horizon in words.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from outsidein.predict import service, versions
from outsidein.predict.backtest import FOLD_SHARE, _split, backtest, fold_days
from outsidein.predict.dataset import Dataset
from outsidein.store import connect
from outsidein.web import create_app

from ..web.conftest import LiveServer
from .trained import OBSERVATIONS, analytics, config_file, predict_world

pytestmark = pytest.mark.slow  # the shared trained company (~60 s to build once)
HORIZON = 366  # every annual term renews within it


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return predict_world(tmp_path_factory, "by-renewal")[1]  # the untrained copy


@pytest.fixture(scope="module")
def dataset(store: Path) -> Dataset:
    con = connect(store)
    try:
        days = service.observation_days(service.last_snapshot_day(con), OBSERVATIONS)
        return service.build_dataset(
            con, days, horizon_days=HORIZON, config=analytics(), by_renewal=True
        )
    finally:
        con.close()


def test_each_label_is_the_mrr_on_the_renewal_day(store: Path, dataset: Dataset) -> None:
    con = duckdb.connect(str(store), read_only=True)
    try:
        mrr = {
            (a, d): float(m)
            for a, d, m in con.execute(
                "SELECT account_id, date, mrr FROM account_daily_metrics"
            ).fetchall()
        }
    finally:
        con.close()
    frame, labels = dataset.frame, dataset.labels
    checked = unlabelled_m2m = 0
    for i, row in frame.iterrows():
        ahead = row["days_to_renewal"]
        churn = labels.at[i, "churn"]
        if ahead != ahead or ahead > HORIZON:  # no term renewal within the horizon
            assert churn != churn, row  # NaN: no label
            unlabelled_m2m += ahead != ahead
            continue
        renewal = row["day"] + timedelta(days=int(ahead))
        later = mrr.get((row["account_id"], renewal))
        if later is None:  # the renewal is after the snapshot's last day: not known yet
            assert churn != churn, row
            continue
        before = mrr[(row["account_id"], row["day"])]
        assert churn == float(later == 0), (row["account_id"], row["day"], before, later)
        assert labels.at[i, "revenue_churn"] == float(later <= before * 0.8)
        assert labels.at[i, "expansion"] == float(later >= before * 1.1)
        assert dataset.known_on[i] == renewal
        checked += 1
    known = labels["churn"].dropna()
    assert checked == len(known) > 500 and unlabelled_m2m > 100
    assert 0.05 < known.mean() < 0.5  # churn at the renewal is neither rare nor the rule
    print(f"{checked:,} of {len(frame):,} rows labelled by the renewal")


def test_the_backtest_folds_have_rows_and_learn_only_known_outcomes(dataset: Dataset) -> None:
    labelled = dataset.labelled("churn")
    days = dataset.frame["day"][labelled]
    per_day = days.value_counts()
    chosen = fold_days(days.reset_index(drop=True), 3)
    assert len(chosen) == 3
    assert all(per_day[d] >= FOLD_SHARE * per_day.median() for d in chosen)
    assert max(days) not in chosen  # the last days hold only the accounts renewing soon
    result = backtest(dataset, "churn", folds=3)
    assert [f.day for f in result.folds] == chosen
    known_on = dataset.known_on[labelled].reset_index(drop=True)
    days = days.reset_index(drop=True)
    for fold in result.folds:
        # rows observed before the fold whose renewal came after it: a split by observation
        # day alone would have fitted their outcomes; the backtest's split leaves them out
        pending = ((days < fold.day) & (known_on > fold.day)).to_numpy()
        assert pending.sum() > 10
        fit_rows, calib_rows = _split(days, known_on, fold.day)
        assert not (pending & (fit_rows | calib_rows)).any()
        assert (known_on[fit_rows | calib_rows] <= fold.day).all()
        assert fold.rows == per_day[fold.day]
    # reported, not asserted: the simulator's churn is a monthly hazard rather than a
    # decision taken at the renewal, so the renewal's outcome months ahead is hard to foresee
    # on it (docs/predict.md has the figures)
    assert result.auc is not None and result.brier is not None
    print(f"backtest AUC {result.auc:.3f} over folds {[str(d) for d in chosen]}")


def test_the_cli_trains_it_and_every_interface_says_the_horizon(
    store: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = config_file(tmp_path_factory)
    args = ["predict", "train", "--target", "churn", "--by-renewal", "--horizon-days", "366"]
    args += ["--observations", str(OBSERVATIONS), "--folds", "3", "--force"]
    run = CliRunner().invoke(cli_app, [*args, "--db", str(store), "--config", str(config)])
    assert run.exit_code == 0, run.output
    words = "by the next renewal (within 366 days)"
    assert re.search(rf"churn {re.escape(words)}: version 1, backtest AUC 0\.\d+", run.output)
    con = connect(store)
    try:
        version = versions.get_version(con, 1)
        html = versions.report_html(con, 1)
    finally:
        con.close()
    assert version.by_renewal and version.params["by_renewal"] is True
    assert version.horizon == words and f"churn {words}</h1>" in html
    server = LiveServer(create_app(store, config_path=config)).start()
    try:
        (model,) = server.http.get(server.url + "/api/v1/predict/models").json()
        assert (model["by_renewal"], model["horizon"]) == (True, words)
        assert f"<td>{words}</td>" in server.http.get(server.url + "/predictions").text
    finally:
        server.stop()
