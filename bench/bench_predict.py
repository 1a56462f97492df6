"""Propensity models: training with backtests on accounts x monthly observations (goal:
10k x 24 <= 60 s) and scoring 100k accounts (goal: <= 5 s).

The panel is synthetic: 40 numeric features and 2 categories per account and month, an AR(1)
latent health behind them and behind churn (about 4 % of rows). What is timed is the
product's own path from a feature table on: :func:`outsidein.predict.backtest.backtest`
(4 monthly folds, each with its inner cross-validation and calibration) and
:meth:`Fitted.predict` of a trained model. Building the feature rows from the store
(:func:`outsidein.predict.dataset.build_dataset`) is not in this figure.

    .venv/bin/python bench/bench_predict.py --accounts 10000 --months 24 --score 100000
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np
import pandas as pd

from outsidein.predict.backtest import backtest
from outsidein.predict.dataset import Dataset, observation_days
from outsidein.predict.model import fit, infer_schema


def panel(accounts: int, months: int, seed: int = 1) -> Dataset:
    rng = np.random.default_rng(seed)
    days = observation_days(date(2025, 6, 1), months)
    x = rng.normal(size=accounts)
    frames, labels = [], []
    for day in days:
        x = 0.85 * x + 0.35 * rng.normal(size=accounts)
        noisy = x[:, None] * rng.uniform(0.1, 1, 40) + rng.normal(size=(accounts, 40))
        frame = pd.DataFrame(noisy, columns=[f"f{i}" for i in range(40)])
        frame.insert(0, "day", day)
        frame.insert(0, "account_id", [f"A{i}" for i in range(accounts)])
        frame["plan"] = rng.choice(["basic", "pro", "enterprise"], accounts)
        frame["region"] = rng.choice(["NA", "EU", "APAC"], accounts)
        p = 1 / (1 + np.exp(3.3 + 1.2 * x))
        frames.append(frame)
        labels.append(pd.DataFrame({"churn": (rng.random(accounts) < p).astype(float)}))
    labels_all = pd.concat(labels, ignore_index=True)
    labels_all["revenue_churn"] = labels_all["churn"]
    labels_all["expansion"] = 0.0
    return Dataset(pd.concat(frames, ignore_index=True), labels_all, 90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--score", type=int, default=100_000)
    args = parser.parse_args()
    data = panel(args.accounts, args.months)
    started = time.perf_counter()
    result = backtest(data, "churn", folds=4)
    trained = time.perf_counter() - started
    print(
        f"training with backtests, {args.accounts:,} accounts x {args.months} observations "
        f"({len(data.frame):,} rows): {trained:.1f} s (goal <= 60 s); AUC {result.auc:.3f}"
    )
    big = panel(args.score, 1, seed=2)
    features = big.features
    model = fit(
        data.features.head(20_000),
        data.labels["churn"].head(20_000).to_numpy(),
        infer_schema(features),
        weight=0.5,
    )
    started = time.perf_counter()
    p = model.predict(features)
    scored = time.perf_counter() - started
    print(f"scoring {len(p):,} accounts: {scored:.2f} s (goal <= 5 s)")


if __name__ == "__main__":
    main()
