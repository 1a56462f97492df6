"""Keeps CLV current while the server runs: the pipeline step ``clv``.

A run refits and rescores every account (:func:`outsidein.clv.portfolio.score`, written back
by :func:`outsidein.clv.saved.save`) when the last scores are older than what they depend
on: invoices, subscriptions or contracts loaded since, or a new day. Otherwise it does
nothing. The scores' own ``recorded_at`` is the mark, so no state table is needed. A store
the models cannot be fitted on yet (too few buyers) is reported in the step's detail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import duckdb

from outsidein.clv.errors import ClvError
from outsidein.clv.portfolio import Portfolio, score
from outsidein.clv.saved import save
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.settings.analytics import AnalyticsConfig

__all__ = ["INPUTS", "OUTPUTS", "STEP", "ClvStep", "stale"]

STEP = "clv"
LOADED = ("invoices", "subscriptions", "contracts")
INPUTS = LOADED
OUTPUTS = ("clv_scores", "clv_fits")


def utc_today() -> date:
    return datetime.now(UTC).date()


def stale(con: duckdb.DuckDBPyConnection, today: date) -> str | None:
    """Why the stored scores are out of date (None: they are current)."""
    last = con.execute("SELECT max(as_of), max(recorded_at) FROM clv_scores").fetchone()
    if last is None or last[0] is None:
        return "first scoring"
    if last[0] < today:
        return "a new day"
    loads = " UNION ALL ".join(f"SELECT max(loaded_at) AS m FROM {t}" for t in LOADED)
    (newest,) = con.execute(f"SELECT max(m) FROM ({loads})").fetchone() or (None,)
    if newest is not None and newest > last[1]:
        return "new invoices, subscriptions or contracts"
    return None


class ClvStep:
    """Rescores every account when its inputs moved (``config``: the analytics in force)."""

    def __init__(
        self,
        config: Callable[[], AnalyticsConfig],
        *,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._config = config
        self._today = today
        self.last: Portfolio | None = None

    def step(self, *, min_gap: float = 5.0, period: float = 600.0) -> Step:
        return Step(
            STEP,
            self._step,
            inputs=INPUTS,
            outputs=OUTPUTS,
            period=period,
            min_gap=min_gap,
            budget_seconds=300.0,
            stale_after=4 * period,
            description="refits the CLV models and rescores every account after new invoices, "
            "subscriptions or contracts",
        )

    def _step(self, ctx: StepContext) -> Outcome:
        today = self._today()
        reason = stale(ctx.cursor, today)
        if reason is None:
            return Outcome.nothing("scores are current")
        try:
            result = score(ctx.cursor, self._config(), today, check=ctx.check)
        except ClvError as exc:
            return Outcome.nothing(f"not scored: {exc}")
        ctx.check()
        written = save(ctx.cursor, result)
        self.last = result
        return Outcome.wrote(written, detail=f"{reason}: {written:,} accounts as of {today}")
