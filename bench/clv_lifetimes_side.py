"""The peer's side of bench_clv.py: fit lifetimes 0.11.3 in its own environment.

Run by bench_clv.py with bench/.venv-lifetimes/bin/python; reads the RFM rows as CSV
(x, t_x, T per customer), prints one JSON line with lifetimes' estimates, log-likelihoods,
starting values (in weeks) and seconds.
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import _scale_time

rfm = pd.read_csv(sys.argv[1])
x, t_x, T = rfm["x"].to_numpy(), rfm["t_x"].to_numpy(), rfm["T"].to_numpy()
scale = _scale_time(T)
out = {"lifetimes": __import__("lifetimes").__version__}

# BG/NBD: lifetimes starts from log-parameters 0.1 in its scaled time (alpha / scale in weeks).
start = np.exp(0.1 * np.ones(4))
out["bgnbd_start"] = [start[0], start[1] / scale, start[2], start[3]]
began = time.perf_counter()
bg = BetaGeoFitter().fit(x, t_x, T)
out["bgnbd_seconds"] = time.perf_counter() - began
out["bgnbd_params"] = [float(bg.params_[k]) for k in ("r", "alpha", "a", "b")]
out["bgnbd_ll"] = float(-bg._negative_log_likelihood_ * len(x))

# Pareto/NBD: Nelder-Mead from normal(1, 0.05) parameters in scaled time.
np.random.seed(0)
start = np.random.normal(1.0, scale=0.05, size=4)
out["pnbd_start"] = [start[0], start[1] / scale, start[2], start[3] / scale]
began = time.perf_counter()
pn = ParetoNBDFitter().fit(x, t_x, T, initial_params=start)
out["pnbd_seconds"] = time.perf_counter() - began
out["pnbd_params"] = [float(pn.params_[k]) for k in ("r", "alpha", "s", "beta")]
out["pnbd_ll"] = float(-pn._negative_log_likelihood_ * len(x))
print(json.dumps(out))
