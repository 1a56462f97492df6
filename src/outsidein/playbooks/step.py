"""Runs the playbooks while the server runs: the pipeline step ``playbooks``.

Each run finds the accounts whose data may have moved since its last run, as the health step
does (and after it: it reads the scores): new health scores, today's snapshot rows recomputed,
and survey answers, cases, subscriptions, contracts and account records loaded since. Every
account is evaluated on a new day (renewals come closer, schedules turn), when the
configuration version changed (a playbook edited) or when asked (:meth:`PlaybookStep.ask`).
Then overdue tasks are escalated. Its ``min_gap`` of a second and ``period`` of 30 s keep a
new answer or event within a minute of its task (docs/playbooks.md#when-rules-run).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.playbooks.engine import RunResult, run_playbooks
from outsidein.store.config_versions import current_config_version
from outsidein.tasks.service import escalate_overdue

__all__ = ["INPUTS", "OUTPUTS", "STEP", "PlaybookStep"]

STEP = "playbooks"
LOADED = ("survey_responses", "cases", "subscriptions", "contracts", "accounts")
INPUTS = (
    "health_scores", "account_daily_metrics", *LOADED, "segment_membership", "config_versions",
    "predictions",  # churn_risk_above (outsidein.predict)
)  # fmt: skip
OUTPUTS = ("playbook_firings", "tasks", "touch_requests")
STALE_AFTER = 300.0


@dataclass
class PlaybookRun:
    reason: str
    result: RunResult
    escalated: int = 0


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class PlaybookStep:
    """Evaluates the playbooks of the configuration in force for the accounts that changed."""

    def __init__(
        self,
        config: Callable[[], OutsideInConfig],
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._config = config
        self._now = now
        self._full = threading.Event()
        self.last: PlaybookRun | None = None

    def ask(self) -> None:
        """Evaluate every account at the next run (``POST /api/v1/playbook-runs``)."""
        self._full.set()

    def step(self, *, min_gap: float = 1.0, period: float = 30.0) -> Step:
        return Step(
            STEP,
            self._step,
            inputs=INPUTS,
            outputs=OUTPUTS,
            period=period,
            min_gap=min_gap,
            budget_seconds=120.0,
            stale_after=STALE_AFTER,
            description="runs the playbooks for the accounts whose data changed; escalates "
            "overdue tasks",
        )

    def _step(self, ctx: StepContext) -> Outcome:
        run = self.run(ctx.cursor, ctx.check)
        r = run.result
        if r.errors:  # the other playbooks ran; these are named on the status page
            left = "; ".join(f"{name}: {why}" for name, why in r.errors.items())
            return Outcome.wrote(r.firings + run.escalated, detail=f"left out {left}")
        if not r.firings and not run.escalated:
            return Outcome.nothing(f"{run.reason}: {r.accounts:,} accounts, nothing fired")
        return Outcome.wrote(
            r.firings + run.escalated,
            detail=f"{run.reason}: {r.accounts:,} accounts, {r.firings:,} firings, "
            f"{r.tasks:,} tasks, {run.escalated:,} escalated",
        )

    def run(
        self, con: duckdb.DuckDBPyConnection, check: Callable[[], None] = lambda: None
    ) -> PlaybookRun:
        """One increment: the marks, the accounts affected, the playbooks, in one transaction."""
        now = self._now()
        config = self._config()
        full = self._full.is_set()
        self._full.clear()
        con.execute("BEGIN TRANSACTION")
        try:
            marks = _marks(con)
            state = _read_state(con)
            version = current_config_version(con)
            reason, accounts = _affected(con, state, marks, now, version, full)
            result = RunResult()
            if accounts is None or accounts:
                result = run_playbooks(con, config, now=now, accounts=accounts, check=check,
                                       origin="pipeline", transaction=False)  # fmt: skip
            _write_state(con, {**marks, "day": now.date().isoformat(), "version": str(version)})
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            if full:
                self._full.set()
            raise
        escalated = escalate_overdue(
            con, now=now, after_hours=config.playbooks.escalate_after_hours
        )
        self.last = PlaybookRun(reason, result, escalated)
        return self.last


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back, unless a failed COMMIT (a write conflict) already ended the transaction."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException as exc:
        if "no transaction is active" not in str(exc):
            raise


def _marks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    marks = {}
    for table in LOADED:
        value = con.execute(f"SELECT max(loaded_at)::VARCHAR FROM {table}").fetchall()[0][0]
        marks[f"loaded_{table}"] = value or ""
    for name, sql in (
        ("scores", "SELECT max(recorded_at)::VARCHAR FROM health_scores"),
        ("overrides", "SELECT max(created_at)::VARCHAR FROM health_overrides"),
        ("snapshot", "SELECT max(computed_at)::VARCHAR FROM account_daily_metrics"),
        ("segments", "SELECT max(greatest(entered_at, coalesce(left_at, entered_at)))::VARCHAR "
                     "FROM segment_membership"),
        ("predictions", "SELECT max(recorded_at)::VARCHAR FROM predictions"),
    ):  # fmt: skip
        marks[name] = con.execute(sql).fetchall()[0][0] or ""
    return marks


def _affected(
    con: duckdb.DuckDBPyConnection,
    state: dict[str, str],
    marks: dict[str, str],
    now: datetime,
    version: int | None,
    full: bool,
) -> tuple[str, list[str] | None]:
    """Why this run evaluates, and which accounts (None: all of them)."""
    if "day" not in state:
        return "first run", None
    if full:
        return "asked", None
    if state["day"] != now.date().isoformat():
        return "a new day", None
    if state.get("version") != str(version):
        return f"configuration version {version}", None
    parts: list[str] = []
    params: list[object] = []
    for table in LOADED:
        key = f"loaded_{table}"
        if marks[key] != state.get(key, ""):
            parts.append(f"SELECT account_id FROM {table} WHERE loaded_at > ?::TIMESTAMP")
            params.append(state.get(key) or "-infinity")
    for key, sql in (
        ("scores", "SELECT account_id FROM health_scores WHERE recorded_at > ?::TIMESTAMP"),
        ("overrides", "SELECT account_id FROM health_overrides WHERE created_at > ?::TIMESTAMP"),
        ("snapshot", "SELECT account_id FROM account_daily_metrics WHERE date = ? AND "
                     "computed_at > ?::TIMESTAMP"),
        ("segments", "SELECT account_id FROM segment_membership WHERE greatest(entered_at, "
                     "coalesce(left_at, entered_at)) > ?::TIMESTAMP"),
        ("predictions", "SELECT account_id FROM predictions WHERE recorded_at > ?::TIMESTAMP"),
    ):  # fmt: skip
        if marks[key] != state.get(key, ""):
            parts.append(sql)
            if key == "snapshot":
                params.append(now.date())
            params.append(state.get(key) or "-infinity")
    if not parts:
        return "none", []
    rows = con.execute(" UNION ".join(parts), params).fetchall()
    return "changes", sorted(str(r[0]) for r in rows)


def _read_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute("SELECT name, value FROM playbook_state").fetchall()
    return {str(name): str(value) for name, value in rows}


def _write_state(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    now = utc_now()
    con.executemany(
        "INSERT INTO playbook_state VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "value = excluded.value, updated_at = excluded.updated_at",
        [(name, value, now) for name, value in values.items()],
    )
