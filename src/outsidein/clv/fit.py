"""Maximum likelihood shared by every model: log-parameter search, starts, Hessian errors.

Each model supplies ``negll(params) -> (value, gradient)`` in its natural parameters (all
positive). The search runs L-BFGS-B on log-parameters with the analytic gradient, from one
or several starts; the standard errors come from the Hessian of the log-likelihood at the
optimum, by central differences of the analytic gradient.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from outsidein.clv.errors import ClvError
from outsidein.clv.threads import one_blas_thread

Floats = NDArray[np.float64]
NegLL = Callable[[Floats], tuple[float, Floats]]


@dataclass(frozen=True)
class Fit:
    """A fitted model: estimates, their standard errors and how the search ended."""

    model: str
    names: tuple[str, ...]
    params: Floats
    loglik: float
    converged: bool
    message: str
    iterations: int
    evaluations: int
    seconds: float
    n: int
    se: Floats = field(default_factory=lambda: np.array([]))
    covariance: Floats = field(default_factory=lambda: np.zeros((0, 0)))

    def __getitem__(self, name: str) -> float:
        return float(self.params[self.names.index(name)])

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (used by the CLI, the API and the store)."""
        se = self.se if len(self.se) else np.full(len(self.params), np.nan)
        return {
            "model": self.model,
            "params": {k: float(v) for k, v in zip(self.names, self.params, strict=True)},
            "se": {
                k: (None if not np.isfinite(v) else float(v))
                for k, v in zip(self.names, se, strict=True)
            },
            "loglik": self.loglik,
            "converged": self.converged,
            "message": self.message,
            "iterations": self.iterations,
            "n": self.n,
        }


def maximise(
    model: str,
    names: Sequence[str],
    negll: NegLL,
    starts: Sequence[Sequence[float]],
    n: int,
    *,
    gtol: float = 1e-8,
    standard_errors: bool = True,
) -> Fit:
    """Fit from each start, keep the best, check convergence and attach standard errors."""
    began = time.perf_counter()
    best = None
    iterations = evaluations = 0

    # The search sees the mean per customer: gradients of order one keep L-BFGS-B's first
    # step modest (with the sum, it jumps to the bounds and spends evaluations coming back).
    per = 1.0 / max(n, 1)

    def in_logs(theta: Floats) -> tuple[float, Floats]:
        p = np.exp(theta)
        value, grad = negll(p)
        if not np.isfinite(value):
            return float("inf"), np.zeros_like(theta)
        return value * per, grad * p * per

    with one_blas_thread():
        for start in starts:
            theta0 = np.log(np.asarray(start, dtype=np.float64))
            res = minimize(
                in_logs,
                theta0,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-20.0, 20.0)] * len(theta0),
                options={"gtol": gtol, "ftol": 1e-12, "maxiter": 2000},
            )
            iterations += int(res.nit)
            evaluations += int(res.nfev)
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                best = res
        if best is None:
            raise ClvError(f"{model}: the likelihood is not finite at any start; check the data")
        params = np.exp(best.x)
        value, grad = negll(params)
        scale = max(1.0, abs(value))
        converged = bool(np.max(np.abs(grad * params)) <= 1e-4 * scale)
        seconds = time.perf_counter() - began
        cov = hessian_covariance(negll, params) if standard_errors else np.zeros((0, 0))
    se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan)) if cov.size else np.array([])
    return Fit(
        model=model,
        names=tuple(names),
        params=params,
        loglik=-float(value),
        converged=converged,
        message=str(best.message),
        iterations=iterations,
        evaluations=evaluations,
        seconds=seconds,
        n=n,
        se=se,
        covariance=cov,
    )


def hessian_covariance(negll: NegLL, params: Floats) -> Floats:
    """Inverse Hessian of the negative log-likelihood (central differences of the gradient)."""
    k = len(params)
    hess = np.zeros((k, k))
    for j in range(k):
        h = 1e-5 * max(abs(params[j]), 1e-3)
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        hess[:, j] = (negll(up)[1] - negll(down)[1]) / (2 * h)
    hess = (hess + hess.T) / 2
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)
    if np.any(np.diag(cov) <= 0):
        return np.full((k, k), np.nan)
    return np.asarray(cov, dtype=np.float64)


def interval(
    fit: Fit,
    predict: Callable[[Floats], Floats],
    level: float = 0.9,
    draws: int = 200,
    seed: int = 0,
) -> tuple[Floats, Floats]:
    """Confidence interval of a prediction from the estimates' uncertainty.

    Parameters are drawn from the asymptotic normal of the log-estimates (covariance from
    the Hessian, by the delta method) and ``predict`` is evaluated at each draw.
    """
    if not fit.covariance.size or not np.all(np.isfinite(fit.covariance)):
        raise ClvError(f"{fit.model}: no standard errors (the Hessian is not positive definite)")
    p = fit.params
    cov_log = fit.covariance / np.outer(p, p)
    rng = np.random.default_rng(seed)
    thetas = rng.multivariate_normal(np.log(p), cov_log, size=draws)
    values = np.stack([predict(np.exp(t)) for t in thetas])
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail], axis=0)
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
