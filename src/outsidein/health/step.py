"""Keeps health scores current while the server runs: the pipeline step ``health``.

Each run finds the accounts whose inputs may have moved since its last run (docs/pipeline.md
has the one background pipeline it runs in):

* the snapshot rows of today recomputed since (new events reach health through the
  snapshot step, which runs first);
* cases, survey answers, subscriptions, contracts and account records loaded since;
* the accounts of a CLV scoring recorded since (``clv_scores``: CLV is an input);
* every account on a new day (windows slide, renewals come closer) or when the configuration
  version changed (a new scorecard).

It computes their inputs for today (:func:`outsidein.health.inputs.inputs_at`), scores them
with the injected scoring callable and stores what changed
(:func:`outsidein.health.history.record_scores`), with its marks, in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from outsidein.health.history import ScoresLike, record_scores
from outsidein.health.inputs import inputs_at, scoring_day
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig
from outsidein.store.config_versions import current_config_version

__all__ = ["INPUTS", "OUTPUTS", "STEP", "HealthRun", "HealthStep", "ScoreFn"]

STEP = "health"
ScoreFn = Callable[[pa.Table], ScoresLike]
# Loaded tables whose new rows move an account's inputs (by loaded_at).
# touchpoints, case_assignments: the journey inputs (stage, interruptions) move with them
LOADED = (
    "cases", "survey_responses", "subscriptions", "contracts", "accounts", "touchpoints",
    "case_assignments",
)  # fmt: skip
INPUTS = (
    "account_daily_metrics", *LOADED, "account_tiers", "config_versions", "clv_scores",
    "success_plans",
)  # fmt: skip
OUTPUTS = ("health_scores", "health_contributions")
STALE_AFTER = 300.0


@dataclass
class HealthRun:
    """What one run did."""

    as_of: date
    reason: str  # "first run", "a new day", "configuration version N", "changes", "none"
    accounts: int = 0
    written: int = 0
    seconds: float = 0.0


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class HealthStep:
    """Scores the accounts whose inputs changed, with ``score_fn`` (the engine, at merge)."""

    def __init__(
        self,
        score_fn: ScoreFn,
        *,
        config: Callable[[], AnalyticsConfig] = AnalyticsConfig,
        journey: Callable[[], JourneyConfig] = JourneyConfig,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.score_fn = score_fn
        self._config = config
        self._journey = journey  # the journey map in force (journey stage, interruptions)
        self._now = now
        self.last: HealthRun | None = None

    def step(self, *, min_gap: float = 5.0, period: float = 60.0) -> Step:
        """The pipeline step: after its inputs change (at most every ``min_gap`` s), and every
        ``period`` s (a new day; tables loaded outside the server)."""
        return Step(
            STEP,
            self._step,
            inputs=INPUTS,
            outputs=OUTPUTS,
            period=period,
            min_gap=min_gap,
            budget_seconds=120.0,
            stale_after=STALE_AFTER,
            description="scores the accounts whose snapshot, cases, surveys, contracts or tier "
            "changed",
        )

    def _step(self, ctx: StepContext) -> Outcome:
        result = self.run(ctx.cursor, ctx.check)
        if not result.accounts:
            return Outcome.nothing("no account changed")
        return Outcome.wrote(
            result.written,
            detail=f"{result.reason}: {result.accounts:,} accounts, {result.written:,} changed",
        )

    def run(
        self, con: duckdb.DuckDBPyConnection, check: Callable[[], None] = lambda: None
    ) -> HealthRun:
        """One increment, in one transaction (``check`` raises to cancel between phases)."""
        started = time.perf_counter()
        at = self._now()
        as_of = scoring_day(con, at.date())  # a new day waits for the snapshot's row of it
        con.execute("BEGIN TRANSACTION")
        try:
            marks = _marks(con)
            state = _read_state(con)
            version = current_config_version(con)
            reason, accounts = _affected(con, state, marks, as_of, version)
            result = HealthRun(as_of, reason)
            if accounts is None or accounts:
                check()
                inputs = inputs_at(
                    con, as_of, accounts=accounts, config=self._config(), journey=self._journey()
                )
                result.accounts = inputs.num_rows
                check()
                if inputs.num_rows:
                    scored = self.score_fn(inputs)
                    check()
                    result.written = record_scores(
                        con, scored, config_version=version, at=at, transaction=False
                    )
            _write_state(con, {**marks, "as_of": as_of.isoformat(), "version": str(version)})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        result.seconds = time.perf_counter() - started
        self.last = result
        return result


def _marks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The latest load of each input table, and of the snapshot ('' when none)."""
    marks = {}
    for table in LOADED:
        value = con.execute(f"SELECT max(loaded_at)::VARCHAR FROM {table}").fetchall()[0][0]
        marks[f"loaded_{table}"] = value or ""
    value = con.execute("SELECT max(updated_at)::VARCHAR FROM analytics_state").fetchall()[0][0]
    marks["snapshot_updated"] = value or ""
    value = con.execute("SELECT max(recorded_at)::VARCHAR FROM account_tiers").fetchall()[0][0]
    marks["tiers_recorded"] = value or ""
    value = con.execute("SELECT max(recorded_at)::VARCHAR FROM clv_scores").fetchall()[0][0]
    marks["clv_recorded"] = value or ""
    # plans are edited, not loaded: the latest edit and the count (a deletion lowers it)
    last, count = con.execute(
        "SELECT coalesce(max(updated_at)::VARCHAR, ''), count(*) FROM success_plans"
    ).fetchall()[0]
    marks["plans_updated"] = f"{last}|{count}"
    return marks


def _affected(
    con: duckdb.DuckDBPyConnection,
    state: dict[str, str],
    marks: dict[str, str],
    as_of: date,
    version: int | None,
) -> tuple[str, list[str] | None]:
    """Why this run scores, and which accounts (None: all of them)."""
    if "as_of" not in state:
        return "first run", None
    if state["as_of"] != as_of.isoformat():
        return "a new day", None
    if state.get("version") != str(version):
        return f"configuration version {version}", None
    parts: list[str] = []
    params: list[object] = []
    for table in LOADED:
        mark = state.get(f"loaded_{table}", "")
        if marks[f"loaded_{table}"] != mark:
            parts.append(f"SELECT account_id FROM {table} WHERE loaded_at > ?::TIMESTAMP")
            params.append(mark or "-infinity")
    if marks["snapshot_updated"] != state.get("snapshot_updated", ""):
        # Today's rows the snapshot recomputed since the previous run.
        parts.append(
            "SELECT account_id FROM account_daily_metrics WHERE date = ? AND computed_at > "
            "?::TIMESTAMP"
        )
        params += [as_of, state.get("computed_upto") or "-infinity"]
    if marks["tiers_recorded"] != state.get("tiers_recorded", ""):
        parts.append("SELECT account_id FROM account_tiers WHERE recorded_at > ?::TIMESTAMP")
        params.append(state.get("tiers_recorded") or "-infinity")
    if marks["clv_recorded"] != state.get("clv_recorded", ""):
        parts.append("SELECT account_id FROM clv_scores WHERE recorded_at > ?::TIMESTAMP")
        params.append(state.get("clv_recorded") or "-infinity")
    if marks["plans_updated"] != state.get("plans_updated", ""):
        last, _, count = state.get("plans_updated", "|0").partition("|")
        if int(marks["plans_updated"].partition("|")[2]) < int(count or 0):
            return "a success plan deleted", None  # whose account is no longer known
        parts.append("SELECT account_id FROM success_plans WHERE updated_at > ?::TIMESTAMP")
        params.append(last or "-infinity")
    if not parts:
        return "none", []
    rows = con.execute(" UNION ".join(parts), params).fetchall()
    return "changes", sorted(str(r[0]) for r in rows)


def _read_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT name, value FROM health_state").fetchall()
    return {str(name): str(value) for name, value in rows}


def _write_state(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    (computed,) = con.execute(
        "SELECT coalesce(max(computed_at)::VARCHAR, '') FROM account_daily_metrics WHERE date = ?",
        [values["as_of"]],
    ).fetchall()[0]
    values = {**values, "computed_upto": str(computed)}
    now = utc_now()
    con.executemany(
        "INSERT INTO health_state VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "value = excluded.value, updated_at = excluded.updated_at",
        [(name, value, now) for name, value in values.items()],
    )
