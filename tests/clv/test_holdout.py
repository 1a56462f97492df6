"""The 39-week holdout of the CDNOW sample (FHL 2005): predicted vs actual repeat purchases.

The published actual is 1,882 repeat transactions in weeks 40-78. The test pins the models'
conditional expectations to within 15 % in total and per calibration frequency bin of at
least 50 customers to within 0.5 transactions per customer (FHL 2005, figure 5 shows the
same agreement), and prints the table the report quotes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from outsidein.clv import RFM, bgnbd, check, paretonbd


def test_holdout_predictions_track_actuals(cdnow: pd.DataFrame, cdnow_rows: RFM) -> None:
    d = cdnow_rows
    bg = bgnbd.fit(d, standard_errors=False)
    pn = paretonbd.fit(d, standard_errors=False)
    horizon = float(cdnow["holdout"].iloc[0])
    assert horizon == 39.0
    preds = {
        "BG/NBD": bgnbd.expected(bg.params, horizon, d.x, d.t_x, d.T)[d.inverse],
        "Pareto/NBD": paretonbd.expected(pn.params, horizon, d)[d.inverse],
    }
    for name, pred in preds.items():
        result = check(d.x[d.inverse], _actual(cdnow, d), pred)
        print(f"{name}: predicted {result.predicted:.1f}, actual {result.actual:.0f}")
        for row in result.by_frequency:
            pred, act = row["predicted_mean"], row["actual_mean"]
            print(f"  x={row['frequency']:.0f}: {pred:.2f} vs {act:.2f}")
        assert result.actual == 1882
        assert abs(result.error) < 0.15
        for row in result.by_frequency:
            if row["customers"] >= 50:
                assert abs(row["predicted_mean"] - row["actual_mean"]) < 0.5, row


def _actual(cdnow: pd.DataFrame, d: RFM) -> np.ndarray:
    """Holdout counts in the order of ``d.inverse`` (the customers' order in ``cdnow``)."""
    return cdnow["x_holdout"].to_numpy()
