"""CLV fits against lifetimes 0.11.3 on the full CDNOW, and BG/NBD on 1M customers (issue 23).

One run measures both sides. lifetimes (unmaintained, 2020) lives in its own environment so
that it never enters the product's dependencies; it is fitted by bench/clv_lifetimes_side.py
and our fits start from the same starting values (lifetimes' own defaults). Log-likelihoods
of both sides' estimates are evaluated by the same (our) likelihood in weeks. Goals: BG/NBD
fit >= 25x faster, Pareto/NBD >= 50x, log-likelihood at least as good; 1M synthetic customers
fitted in <= 1 s and scored in <= 1 s.

    python3 -m venv bench/.venv-lifetimes && bench/.venv-lifetimes/bin/pip install lifetimes==0.11.3
    .venv/bin/python bench/bench_clv.py [--cdnow PATH] [--customers 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from outsidein.clv import bgnbd, paretonbd
from outsidein.clv.data import RFM, compress
from outsidein.clv.datasets import read_cdnow
from outsidein.clv.fit import Fit, hessian_covariance
from outsidein.clv.rfm import summary

HERE = Path(__file__).resolve().parent
PEER = HERE / ".venv-lifetimes" / "bin" / "python"
CDNOW = Path(os.environ.get("OUTSIDEIN_SHARED", HERE.parent.parent / "shared")) / "data/cdnow"


def best(fn: Callable[[], Fit], repeat: int) -> tuple[Fit, list[float]]:
    times, fit = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        fit = fn()
        times.append(time.perf_counter() - began)
    assert fit is not None
    return fit, times


def simulate_bgnbd(params: np.ndarray, customers: int, seed: int) -> RFM:
    """Customers acquired over 12 weeks, observed to week 39, purchase days rounded."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, customers)
    T_days = 273 - first_day
    lam = rng.gamma(r, 1 / alpha, customers)  # per week
    p = rng.beta(a, b, customers)
    alive = np.ones(customers, bool)
    now = np.zeros(customers)
    x = np.zeros(customers)
    last = np.zeros(customers)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1.0, len(idx)) / lam[idx]
        inside = now[idx] * 7 <= T_days[idx]
        buyers = idx[inside]
        x[buyers] += 1
        last[buyers] = now[buyers]
        alive[idx[~inside]] = False
        alive[buyers] = rng.random(len(buyers)) >= p[buyers]
    t_x_days = np.where(x > 0, np.clip(np.ceil(last * 7), 1, T_days), 0)
    return compress(x, t_x_days / 7, T_days / 7)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cdnow", type=Path, default=CDNOW / "CDNOW_master.txt")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not PEER.exists():
        sys.exit(f"lifetimes' environment is missing; create it with:\n  {__doc__.splitlines()[9]}")
    rfm = summary(read_cdnow(args.cdnow), dt.date(1997, 9, 30))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rfm.csv"
        rfm[["x", "t_x", "T"]].to_csv(path, index=False)
        out = subprocess.run(
            [str(PEER), str(HERE / "clv_lifetimes_side.py"), str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    peer = json.loads(out.stdout.strip().splitlines()[-1])
    d = compress(rfm["x"], rfm["t_x"], rfm["T"])
    load = os.getloadavg()[0]
    print(
        f"full CDNOW: {d.customers:,} customers, {len(d.x):,} distinct (x, t_x, T) rows; "
        f"lifetimes {peer['lifetimes']}; load average {load:.1f}"
    )
    rows = []
    for name, mod, key in (("BG/NBD", bgnbd, "bgnbd"), ("Pareto/NBD", paretonbd, "pnbd")):
        start = [peer[f"{key}_start"]]
        fit, times = best(lambda m=mod, s=start: m.fit(d, s, standard_errors=False), args.repeat)
        began = time.perf_counter()
        hessian_covariance(lambda p, m=mod: m.negll(p, d), fit.params)
        se_time = time.perf_counter() - began
        peer_ll = -mod.negll(np.asarray(peer[f"{key}_params"]), d)[0]
        ratio = peer[f"{key}_seconds"] / min(times)
        rows.append(
            (
                name,
                min(times),
                statistics.median(times),
                se_time,
                peer[f"{key}_seconds"],
                ratio,
                fit.loglik,
                peer_ll,
                fit.converged,
            )
        )
        print(
            f"{name}: ours {min(times) * 1e3:.1f} ms best, {statistics.median(times) * 1e3:.1f} ms "
            f"median of {args.repeat} (standard errors {se_time * 1e3:.1f} ms more), "
            f"{fit.iterations} iterations, converged {fit.converged}; lifetimes "
            f"{peer[f'{key}_seconds']:.2f} s (its fit call once); {ratio:.0f}x faster; "
            f"log-likelihood ours {fit.loglik:.6f}, lifetimes' estimates {peer_ll:.6f}"
        )
        print(
            f"   ours {np.round(fit.params, 4).tolist()}  lifetimes "
            f"{np.round(peer[f'{key}_params'], 4).tolist()}"
        )
    truth = np.array([0.243, 4.414, 0.793, 2.426])
    began = time.perf_counter()
    big = simulate_bgnbd(truth, args.customers, seed=1)
    sim_s = time.perf_counter() - began
    del sim_s
    raw_x, raw_tx, raw_T = big.x[big.inverse], big.t_x[big.inverse], big.T[big.inverse]
    began = time.perf_counter()
    dd = compress(raw_x, raw_tx, raw_T)
    compress_s = time.perf_counter() - began
    fit_big, t_big = best(lambda: bgnbd.fit(dd, [(1.0, 1.0, 1.0, 1.0)], standard_errors=False), 3)
    began = time.perf_counter()
    e39 = bgnbd.expected(fit_big.params, 39.0, dd.x, dd.t_x, dd.T)[dd.inverse]
    alive = bgnbd.p_alive(fit_big.params, dd.x, dd.t_x, dd.T)[dd.inverse]
    score_s = time.perf_counter() - began
    print(
        f"1M synthetic BG/NBD: {args.customers:,} customers, {len(dd.x):,} distinct rows; "
        f"compress {compress_s * 1e3:.0f} ms + fit {min(t_big) * 1e3:.0f} ms best of 3 "
        f"(= {compress_s + min(t_big):.2f} s); scored {len(e39):,} (E[X(39)], P(alive)) in "
        f"{score_s * 1e3:.0f} ms; estimates {np.round(fit_big.params, 3).tolist()} vs truth "
        f"{truth.tolist()}; mean P(alive) {alive.mean():.3f}"
    )
    for r in rows:
        ours, peer_s, ratio = f"{r[1] * 1e3:.1f} ms", f"{r[4]:.2f} s", f"{r[5]:.0f}x"
        print(f"| {r[0]} | {ours} | {peer_s} | {ratio} | {r[6]:.2f} | {r[7]:.2f} |")


if __name__ == "__main__":
    main()
