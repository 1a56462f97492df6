"""Health score history: stored when a score changes, answered for any past time.

A scoring callable hands back two Arrow tables (:class:`Scored`): ``scores`` with one row per
account (``account_id, scorecard, score, band``) and ``contributions`` with one row per
account and measure (``account_id, measure, raw, points, weight, contribution, missing``).
:func:`record_scores` stores an account's row only when its scorecard, score, band or
contributions differ from its latest stored row, with the configuration version that produced
it; rows are never updated, so a new version never rewrites old scores. A row holds from its
``valid_from`` until the account's next one, which is how :func:`score_at`, :func:`scores_at`
and :func:`trend` answer for any past time. Manual overrides (:func:`add_override`) take
precedence while they last and are part of the account's history.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.errors import InvalidRequestError, NotFoundError

__all__ = [
    "CONTRIBUTION_SCHEMA",
    "SCORE_SCHEMA",
    "HealthScore",
    "Override",
    "Scored",
    "ScoresLike",
    "TrendPoint",
    "active_override",
    "add_override",
    "check_scored",
    "record_scores",
    "score_at",
    "scores_at",
    "trend",
]

SCORE_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("scorecard", pa.string()), ("score", pa.float64()),
     ("band", pa.string())]
)  # fmt: skip
CONTRIBUTION_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("measure", pa.string()), ("raw", pa.float64()),
     ("points", pa.float64()), ("weight", pa.float64()), ("contribution", pa.float64()),
     ("missing", pa.bool_())]
)  # fmt: skip
MAX_OVERRIDE_DAYS = 366  # an override lasts at most a year: it must be looked at again
DIGITS = 6  # values are compared rounded to this many decimals (float noise is no change)


class ScoresLike(Protocol):
    """What a scoring callable returns: the engine's result or a :class:`Scored`."""

    @property
    def scores(self) -> pa.Table: ...

    @property
    def contributions(self) -> pa.Table: ...


@dataclass(frozen=True)
class Scored:
    """Scores and their per-measure contributions (see the module's column lists)."""

    scores: pa.Table
    contributions: pa.Table


@dataclass(frozen=True)
class Override:
    override_id: str
    account_id: str
    score: float | None
    band: str | None
    reason: str
    author: str
    expires_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class HealthScore:
    """An account's score at a time: the override's while one is active, else the computed."""

    account_id: str
    scorecard: str | None
    score: float | None
    band: str | None
    config_version: int | None
    valid_from: datetime | None  # when the computed score in force was recorded
    computed_score: float | None
    computed_band: str | None
    override: Override | None


@dataclass(frozen=True)
class TrendPoint:
    """The effective score from ``at`` on; ``kind`` says what changed it."""

    at: datetime
    score: float | None
    band: str | None
    kind: Literal["start", "computed", "override", "override_ended"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """``table`` with exactly ``schema``'s columns and types; errors name what is wrong."""
    missing = [n for n in schema.names if n not in table.column_names]
    if missing:
        raise InvalidRequestError(
            f"{what}: required column {missing[0]} missing (it has {', '.join(table.column_names)})"
        )
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InvalidRequestError(f"{what}: {exc}") from None


def check_scored(scored: ScoresLike) -> Scored:
    """The two tables in their columns and types; one score row per account."""
    scores = _conform(scored.scores, SCORE_SCHEMA, "scores")
    contributions = _conform(scored.contributions, CONTRIBUTION_SCHEMA, "contributions")
    ids = scores.column("account_id")
    if ids.null_count:
        raise InvalidRequestError("scores: account_id is null in a row")
    if len(pc.unique(ids)) != scores.num_rows:
        raise InvalidRequestError("scores: an account_id appears twice (one score per account)")
    bad = pc.or_(pc.less(scores.column("score"), 0), pc.greater(scores.column("score"), 100))
    if pc.any(bad).as_py():
        raise InvalidRequestError("scores: a score is outside 0-100")
    return Scored(scores, contributions)


def record_scores(
    con: duckdb.DuckDBPyConnection,
    scored: ScoresLike,
    *,
    config_version: int | None,
    at: datetime | None = None,
    transaction: bool = True,
) -> int:
    """Store the accounts whose result changed, valid from ``at`` (now); the rows written.

    ``transaction=False``: the caller holds a transaction (the step commits its marks with
    the scores). History only moves forward: a time not after an account's latest row is
    refused.
    """
    checked = check_scored(scored)
    at = at or _now()
    cur = con.cursor() if transaction else con
    try:
        cur.register("_oi_scores", checked.scores)
        cur.register("_oi_contrib", checked.contributions)
        if transaction:
            cur.execute("BEGIN TRANSACTION")
        try:
            written = _write(cur, at, config_version)
            if transaction:
                cur.execute("COMMIT")
        except BaseException:
            if transaction:
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.unregister("_oi_scores")
            cur.unregister("_oi_contrib")
    finally:
        if transaction:
            cur.close()
    return written


def _write(cur: duckdb.DuckDBPyConnection, at: datetime, version: int | None) -> int:
    r = DIGITS
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _oi_changed AS
        WITH parts AS (
            -- order-free: the sum of each measure's hash (wrapping in 128 bits)
            SELECT account_id, sum(hash(measure, round(raw, {r}), round(points, {r}),
                                        round(weight, {r}), round(contribution, {r}),
                                        missing)::HUGEINT) AS parts
            FROM _oi_contrib GROUP BY account_id
        ),
        fresh AS (
            SELECT s.account_id, s.scorecard, s.score, s.band,
                   hash(s.scorecard, round(s.score, {r}), s.band,
                        coalesce(p.parts, 0))::VARCHAR AS fingerprint
            FROM _oi_scores s LEFT JOIN parts p USING (account_id)
        ),
        latest AS (
            SELECT account_id, max(valid_from) AS valid_from,
                   arg_max(fingerprint, valid_from) AS fingerprint
            FROM health_scores WHERE account_id IN (SELECT account_id FROM _oi_scores)
            GROUP BY account_id
        )
        SELECT f.*, l.valid_from AS latest_from FROM fresh f LEFT JOIN latest l USING (account_id)
        WHERE l.fingerprint IS DISTINCT FROM f.fingerprint
        """
    )
    late = cur.execute(
        "SELECT count(*), min(account_id) FROM _oi_changed WHERE latest_from >= ?", [at]
    ).fetchall()[0]
    if late[0]:
        raise InvalidRequestError(
            f"{late[0]} account(s) already have a score recorded at or after {at} (e.g. "
            f"{late[1]}): history only moves forward"
        )
    now = _now()
    cur.execute(
        "INSERT INTO health_scores SELECT account_id, ?, scorecard, score, band, ?, fingerprint, ?"
        " FROM _oi_changed",
        [at, version, now],
    )
    cur.execute(
        "INSERT INTO health_contributions SELECT c.account_id, ?, c.measure, c.raw, c.points, "
        "c.weight, c.contribution, c.missing FROM _oi_contrib c "
        "WHERE c.account_id IN (SELECT account_id FROM _oi_changed)",
        [at],
    )
    (written,) = cur.execute("SELECT count(*) FROM _oi_changed").fetchall()[0]
    cur.execute("DROP TABLE _oi_changed")
    return int(written)


# -- reading the history ---------------------------------------------------------------------

_EFFECTIVE = """
    WITH s AS (
        SELECT * FROM health_scores WHERE valid_from <= {at} {scope}
        QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY valid_from DESC) = 1
    ),
    o AS (
        SELECT * FROM health_overrides
        WHERE created_at <= {at} AND expires_at > {at} {scope}
        QUALIFY row_number() OVER (
            PARTITION BY account_id ORDER BY created_at DESC, override_id DESC) = 1
    )
    SELECT coalesce(s.account_id, o.account_id) AS account_id, s.scorecard,
           CASE WHEN o.override_id IS NULL OR o.score IS NULL THEN s.score ELSE o.score END
               AS score,
           CASE WHEN o.override_id IS NULL THEN s.band ELSE o.band END AS band,
           s.config_version, s.valid_from, s.score AS computed_score, s.band AS computed_band,
           o.override_id
    FROM s FULL OUTER JOIN o ON s.account_id = o.account_id
    ORDER BY 1
"""


def scores_at(con: duckdb.DuckDBPyConnection, at: datetime) -> pa.Table:
    """Every account's effective score at ``at``: ``account_id, scorecard, score, band,
    config_version, valid_from, computed_score, computed_band, override_id``.

    An active override's band (and score, when it gives one) stand in for the computed ones.
    """
    return con.sql(_EFFECTIVE.format(at="$at", scope=""), params={"at": at}).to_arrow_table()


def score_at(con: duckdb.DuckDBPyConnection, account_id: str, at: datetime) -> HealthScore | None:
    """``account_id``'s score at ``at``; None when it had none (nor an override)."""
    rows = (
        con.sql(
            _EFFECTIVE.format(at="$at", scope="AND account_id = $account"),
            params={"at": at, "account": account_id},
        )
        .to_arrow_table()
        .to_pylist()
    )
    if not rows:
        return None
    row = rows[0]
    override = _override(con, row.pop("override_id"))
    return HealthScore(**row, override=override)


def _effective_at(
    con: duckdb.DuckDBPyConnection, account_id: str, moments: list[datetime]
) -> dict[datetime, tuple[float | None, str | None]]:
    """``account_id``'s effective (score, band) at each moment, in one query: the same
    definition as :func:`score_at`, evaluated per moment (a query per moment cost ~4 ms
    each, a sixth of the account page)."""
    rows = con.execute(
        "SELECT m.at, e.score, e.band FROM (SELECT unnest(?::TIMESTAMP[]) AS at) m, LATERAL ("
        + _EFFECTIVE.format(at="m.at", scope="AND account_id = ?")
        + ") e",
        [moments, account_id, account_id],
    ).fetchall()
    return {at: (score, band) for at, score, band in rows}


def trend(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    since: datetime,
    until: datetime | None = None,
) -> list[TrendPoint]:
    """The effective score from ``since`` to ``until`` (now) as steps: the value in force at
    ``since``, then one point per change (a new score, an override starting or ending)."""
    until = until or _now()
    changes: list[tuple[datetime, str]] = [(since, "start")]
    rows = con.execute(
        "SELECT valid_from, 'computed' FROM health_scores WHERE account_id = ? "
        "AND valid_from > ? AND valid_from <= ? "
        "UNION ALL SELECT created_at, 'override' FROM health_overrides WHERE account_id = ? "
        "AND created_at > ? AND created_at <= ? "
        "UNION ALL SELECT expires_at, 'override_ended' FROM health_overrides "
        "WHERE account_id = ? AND expires_at > ? AND expires_at <= ? ORDER BY 1, 2",
        [account_id, since, until] * 3,
    ).fetchall()
    changes += [(when, kind) for when, kind in rows]
    values = _effective_at(con, account_id, sorted({when for when, _ in changes}))
    points: list[TrendPoint] = []
    for when, kind in changes:
        score, band = values.get(when, (None, None))
        if points and (points[-1].score, points[-1].band) == (score, band) and kind != "override":
            continue  # an override ending where the computed score stands changes nothing seen
        points.append(TrendPoint(when, score, band, kind))  # type: ignore[arg-type]
    return points


# -- overrides -------------------------------------------------------------------------------

_OVERRIDE_COLUMNS = "override_id, account_id, score, band, reason, author, expires_at, created_at"


def _override(con: duckdb.DuckDBPyConnection, override_id: str | None) -> Override | None:
    if override_id is None:
        return None
    row = con.execute(
        f"SELECT {_OVERRIDE_COLUMNS} FROM health_overrides WHERE override_id = ?", [override_id]
    ).fetchall()[0]
    return Override(*row)


def add_override(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    *,
    reason: str,
    author: str,
    expires_at: datetime,
    score: float | None = None,
    band: str | None = None,
    at: datetime | None = None,
) -> Override:
    """Set ``account_id``'s score and/or band by hand from ``at`` (now) until ``expires_at``.

    Give the band with a score (the API derives it from the scorecard): an override with a
    score and no band shows no band. It lasts at most :data:`MAX_OVERRIDE_DAYS` days.
    """
    at = at or _now()
    if score is None and band is None:
        raise InvalidRequestError("an override needs a score or a band")
    if score is not None and not 0 <= score <= 100:
        raise InvalidRequestError(f"an override's score must be 0 to 100, not {score}")
    if not reason.strip():
        raise InvalidRequestError("an override needs a reason")
    if not author.strip():
        raise InvalidRequestError("an override needs an author")
    if expires_at <= at:
        raise InvalidRequestError(f"expires_at ({expires_at}) must be after {at}")
    if expires_at > at + timedelta(days=MAX_OVERRIDE_DAYS):
        raise InvalidRequestError(
            f"expires_at ({expires_at}) is more than {MAX_OVERRIDE_DAYS} days ahead; "
            "an override must be looked at again within a year"
        )
    found = con.execute("SELECT count(*) FROM accounts WHERE account_id = ?", [account_id])
    if not found.fetchall()[0][0]:
        raise NotFoundError(f"no account {account_id!r}")
    override = Override(
        uuid.uuid4().hex[:16], account_id, score, band, reason.strip(), author.strip(),
        expires_at, at,
    )  # fmt: skip
    con.execute(
        f"INSERT INTO health_overrides ({_OVERRIDE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        list(override.__dict__.values()),
    )
    return override


def active_override(
    con: duckdb.DuckDBPyConnection, account_id: str, at: datetime | None = None
) -> Override | None:
    """The override in force for ``account_id`` at ``at`` (now): the latest one created."""
    rows = con.execute(
        "SELECT override_id FROM health_overrides WHERE account_id = ? AND created_at <= ? "
        "AND expires_at > ? ORDER BY created_at DESC, override_id DESC LIMIT 1",
        [account_id, at or _now(), at or _now()],
    ).fetchall()
    return _override(con, rows[0][0]) if rows else None
