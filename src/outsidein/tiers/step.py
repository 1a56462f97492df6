"""Keeps touch tiers current while the server runs: the pipeline step ``tiers``.

A run records today's tiers (:func:`outsidein.tiers.service.record_day`) when something they
depend on moved since the previous run: a new day (ARR follows subscription dates), loads of
accounts, subscriptions, contracts or custom fields, or a new configuration version (new
rules). Otherwise it does nothing. One transaction per run, its marks included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.store.config_versions import current_config_version
from outsidein.tiers.service import TierRun, record_day

__all__ = ["INPUTS", "OUTPUTS", "STEP", "TiersStep"]

STEP = "tiers"
LOADED = ("accounts", "subscriptions", "contracts", "custom_values")
INPUTS = (*LOADED, "config_versions")
OUTPUTS = ("account_tiers",)


def utc_today() -> date:
    return datetime.now(UTC).date()


class TiersStep:
    """Records today's tiers when their inputs moved, with the configuration in force."""

    def __init__(
        self, config: Callable[[], OutsideInConfig], *, today: Callable[[], date] = utc_today
    ) -> None:
        self._config = config
        self._today = today
        self.last: TierRun | None = None

    def step(self, *, min_gap: float = 5.0, period: float = 300.0) -> Step:
        return Step(
            STEP,
            self._step,
            inputs=INPUTS,
            outputs=OUTPUTS,
            period=period,
            min_gap=min_gap,
            budget_seconds=120.0,
            stale_after=2 * period,
            description="records each account's touch tier when ARR, potential or rules change",
        )

    def _step(self, ctx: StepContext) -> Outcome:
        run = self.run(ctx.cursor, ctx.check)
        if run is None:
            return Outcome.nothing("no input changed")
        return Outcome.wrote(
            run.written,
            detail=f"{run.as_of}: {run.accounts:,} accounts, {run.written:,} changed",
        )

    def run(
        self, con: duckdb.DuckDBPyConnection, check: Callable[[], None] = lambda: None
    ) -> TierRun | None:
        """One run: None when nothing moved since the previous one."""
        as_of = self._today()
        con.execute("BEGIN TRANSACTION")
        try:
            marks = {**_marks(con), "as_of": as_of.isoformat(),
                     "version": str(current_config_version(con))}  # fmt: skip
            if marks == _read_state(con):
                con.execute("ROLLBACK")
                return None
            check()
            run = record_day(con, self._config(), as_of, transaction=False)
            check()
            _write_state(con, marks)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.last = run
        return run


def _marks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    marks = {}
    for table in LOADED:
        value = con.execute(f"SELECT max(loaded_at)::VARCHAR FROM {table}").fetchall()[0][0]
        marks[f"loaded_{table}"] = value or ""
    return marks


def _read_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT name, value FROM tiers_state").fetchall()
    return {str(name): str(value) for name, value in rows}


def _write_state(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.executemany(
        "INSERT INTO tiers_state VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "value = excluded.value, updated_at = excluded.updated_at",
        [(name, value, now) for name, value in values.items()],
    )
