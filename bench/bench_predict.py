"""Propensity models: training with backtests on accounts x monthly observations (goal:
10k x 24 <= 60 s) and scoring 100k accounts (goal: <= 5 s).

The panel is synthetic: 40 numeric features and 2 categories per account and month, an AR(1)
latent health behind them and behind churn (about 4 % of rows). What is timed is the
product's own path from a feature table on: :func:`outsidein.predict.backtest.backtest`
(4 monthly folds, each with its inner cross-validation and calibration) and
:meth:`Fitted.predict` of a trained model. Building the feature rows from the store
(:func:`outsidein.predict.dataset.build_dataset`) is not in this figure. The machine's load
average is printed beside the times, and the CPU time the process used: on a shared
2-core machine at load 10 the wall time is several times the CPU time.

    .venv/bin/python bench/bench_predict.py --accounts 10000 --months 24 --score 100000
"""

from __future__ import annotations

import argparse
import os
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
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} (2 cores)")
    started, cpu = time.perf_counter(), time.process_time()
    result = backtest(data, "churn", folds=4)
    trained, trained_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"training with backtests, {args.accounts:,} accounts x {args.months} observations "
        f"({len(data.frame):,} rows): {trained:.1f} s, {trained / 60:.2f} of the goal "
        f"(<= 60 s); CPU {trained_cpu:.1f} s; AUC {result.auc:.3f}, "
        f"blend weights {[f.weight for f in result.folds]}"
    )
    big = panel(args.score, 1, seed=2)
    features = big.features
    model = fit(
        data.features.head(20_000),
        data.labels["churn"].head(20_000).to_numpy(),
        infer_schema(features),
        weight=0.5,
    )
    started, cpu = time.perf_counter(), time.process_time()
    p = model.predict(features)
    scored, scored_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"scoring {len(p):,} accounts: {scored:.2f} s, {scored / 5:.2f} of the goal (<= 5 s); "
        f"CPU {scored_cpu:.2f} s (both cores)"
    )
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
