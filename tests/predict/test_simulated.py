"""The training path on a simulated company, judged against the simulator's oracle.

The simulator writes every renewal's true churn probability (``ground_truth/churn_risk``); the
oracle's score for an account observed on a day is the true probability that it churns on one
of its renewal dates in the next 90 days. The oracle knows the realised path of the latent
health and the shocks still to come (a champion leaving, incidents), which no model observing
the day can; given the true latent health of the month before as an extra feature, the same
model reaches 0.872 (measured once, not a test). Measured here (1,500 accounts, 24 months,
seed 9, 18 monthly observation days, 4 backtest folds, ``segment`` marked static; 2026-12-02,
with the journey, outcome-satisfaction and success-plan inputs that joined the health inputs):
churn ROC AUC 0.872, oracle 0.900 (gap 0.0287), logistic baseline 0.864, ECE 0.009; top-3
drivers name the true one for 0.75 of 118 churned accounts; expansion AUC 0.522, revenue churn
0.689. With outcome satisfaction learnt from one or two survey days and scaled with its imputed
rows: 0.869, gap 0.0317 (docs/predict.md). Before the merge: 0.871, gap 0.0295. Before the
features of 30-day incident bursts, case time to SLA, champion departures noted in
touchpoints and the longer usage trends, Platt instead of isotonic steps below 200
calibration positives and three calibration days instead of two: 0.864, gap 0.036, 0.69.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from outsidein.analytics import build_snapshot
from outsidein.config import OutsideInConfig
from outsidein.ingest import load_directory
from outsidein.predict.backtest import BacktestResult, backtest, train
from outsidein.predict.dataset import (
    Dataset,
    NotEnoughExamplesError,
    build_dataset,
    observation_days,
)
from outsidein.predict.explain import top_drivers
from outsidein.sim import simulate
from outsidein.sim.settings import company_config
from outsidein.store import connect

AS_OF = date(2025, 7, 1)
MONTHS = 24
SHOWN = {  # drivers the data can show, and the families that show them
    "low_health": {"usage", "seats", "surveys"},
    "champion_left": {"champion"},
    "support_incidents": {"support"},
}


@dataclass
class World:
    dataset: Dataset
    truth: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder: Path = tmp_path_factory.mktemp("predict-sim")
    company = simulate(
        folder / "company", accounts=1500, months=MONTHS, seed=9, as_of=AS_OF,
        events_per_user_day=0.05, events_per_part=1_000_000,
        # The planted plays (sim/plays.py) add users to low-adoption accounts without changing
        # their churn: usage would stop telling risk, which no honest model can see through.
        plays=False,
    )  # fmt: skip
    config = OutsideInConfig.model_validate(tomllib.loads(company_config())).analytics
    con = connect(folder / "outsidein.duckdb")
    try:
        load_directory(con, company.out)
        days = observation_days(AS_OF - timedelta(days=91), MONTHS - 6)
        build_snapshot(con, config, AS_OF - timedelta(days=1), since=days[0] - timedelta(days=90))
        dataset = build_dataset(con, days, config=config, static=["segment"])
    finally:
        con.close()
    return World(dataset, company.out / "ground_truth")


def _oracle(result: BacktestResult, truth: Path) -> np.ndarray:
    """1 - prod(1 - p) over each row's true renewal probabilities in the next 90 days."""
    risk = pd.read_parquet(truth / "churn_risk.parquet")
    pred = result.predictions[["account_id", "day"]].copy()
    pred["day"] = pd.to_datetime(pred["day"])
    risk["renewal_date"] = pd.to_datetime(risk["renewal_date"])
    both = pred.reset_index().merge(risk, on="account_id", how="left")
    inside = (both.renewal_date > both.day) & (
        both.renewal_date <= both.day + pd.Timedelta(90, "D")
    )
    both["keep"] = np.where(inside, np.log1p(-both.churn_probability.fillna(0.0)), 0.0)
    kept = both.groupby("index")["keep"].sum().reindex(range(len(pred)), fill_value=0.0)
    return np.asarray(1 - np.exp(kept.to_numpy()))


@pytest.mark.slow
def test_churn_backtest_against_the_oracle_calibrated_with_drivers(world: World) -> None:
    result = backtest(world.dataset, "churn", folds=4)
    assert len(result.folds) == 4
    y = result.predictions["y"].to_numpy()
    oracle_auc = float(roc_auc_score(y, _oracle(result, world.truth)))
    assert result.auc is not None and result.ece is not None
    print(f"churn AUC {result.auc:.3f}, oracle {oracle_auc:.3f}, LR {result.logistic_auc:.3f}")
    print(f"ECE {result.ece:.4f}, Brier {result.brier:.4f}, base rate {result.base_rate:.3f}")
    # The goal: within 0.03 of the oracle (0.0287 measured; see the module).
    assert result.auc >= oracle_auc - 0.03
    assert result.auc >= 0.870
    assert result.ece <= 0.05

    accounts = pd.read_parquet(world.truth / "accounts.parquet")
    drivers = dict(zip(accounts.account_id, accounts.churn_drivers, strict=True))
    features = world.dataset.features[world.dataset.labelled("churn")].reset_index(drop=True)
    hits = total = 0
    for day, model in result.models.items():
        churned = result.predictions[(result.predictions.day == day) & (result.predictions.y == 1)]
        told = top_drivers(model, features.iloc[churned["row"].to_numpy()])
        for account, named in zip(churned.account_id, told, strict=True):
            true = [d for d in str(drivers.get(account) or "").split(",") if d in SHOWN]
            if not true:
                continue
            total += 1
            families = {d.family for d in named}
            hits += any(SHOWN[d] & families for d in true)
    rate = hits / total
    print(f"driver hit rate {rate:.2f} over {total} churned accounts")
    assert total >= 30
    # The issue asks for 70 %: 75 % measured (69 % before the incident-burst and
    # champion-departure features); the floor sits just below the measure.
    assert rate >= 0.72


@pytest.mark.slow
def test_expansion_and_revenue_churn_are_reported(world: World) -> None:
    for target in ("expansion", "revenue_churn"):
        result = backtest(world.dataset, target, folds=2)  # type: ignore[arg-type]
        print(f"{target} AUC {result.auc:.3f}, ECE {result.ece:.4f}")
        assert result.auc is not None and result.auc > 0.5
        assert result.ece is not None and result.ece <= 0.05


@pytest.mark.slow
def test_too_few_examples_offers_the_health_score(world: World) -> None:
    few = Dataset(world.dataset.frame.head(150), world.dataset.labels.head(150), 90)
    with pytest.raises(NotEnoughExamplesError, match="Rank accounts by the health score"):
        backtest(few, "churn")


@pytest.mark.slow
def test_the_published_model_scores_accounts_it_has_not_seen(world: World) -> None:
    last = max(world.dataset.frame["day"])
    model = train(world.dataset, "churn", as_of=last)  # only outcomes known on the last day
    assert model.calibrator.method in ("platt", "isotonic")
    rows = (world.dataset.frame["day"] == last).to_numpy()
    p = model.predict(world.dataset.features[rows])
    y = world.dataset.labels["churn"][rows].to_numpy()
    assert ((p >= 0) & (p <= 1)).all()
    assert abs(float(p.mean()) - float(y.mean())) < 0.02  # calibrated near the base rate
    assert roc_auc_score(y, p) > 0.8
