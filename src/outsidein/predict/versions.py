"""Model versions in the store (``predict_models``) and the publish guard.

Each training run stores a new version: its target, the window of observation days it learnt
from, its parameters, its backtest figures, the fitted model (pickled: the store's own
training wrote it, nothing else does) and its HTML report. One version per target is
published: the one the scoring step uses. A version whose backtest AUC is below the published
one's is refused unless forced, and the refusal names both figures.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from outsidein.errors import NotFoundError, OutsideInError
from outsidein.predict.dataset import horizon_words
from outsidein.predict.model import Fitted

__all__ = [
    "ModelVersion",
    "PublishRefusedError",
    "get_version",
    "list_versions",
    "load_model",
    "publish",
    "published",
    "report_html",
    "save_version",
]

COLUMNS = (
    "version",
    "target",
    "horizon_days",
    "window_first",
    "window_last",
    "rows",
    "positives",
    "params",
    "metrics",
    "auc",
    "pr_auc",
    "brier",
    "ece",
    "published",
    "published_at",
    "forced",
    "trained_at",
    "trained_by",
)


class PublishRefusedError(OutsideInError):
    """A model whose backtest is worse than the published one's: publish it with force."""

    code = "publish_refused"
    http_status = 409


@dataclass(frozen=True)
class ModelVersion:
    """A stored version without its model and report (see :func:`load_model`)."""

    version: int
    target: str
    horizon_days: int
    window_first: date
    window_last: date
    rows: int
    positives: int
    params: dict[str, Any]
    metrics: dict[str, Any]
    auc: float | None
    pr_auc: float | None
    brier: float | None
    ece: float | None
    published: bool
    published_at: datetime | None
    forced: bool
    trained_at: datetime
    trained_by: str

    @property
    def static(self) -> tuple[str, ...]:
        return tuple(self.params.get("static", ()))

    @property
    def by_renewal(self) -> bool:
        return bool(self.params.get("by_renewal", False))

    @property
    def horizon(self) -> str:
        return horizon_words(self.horizon_days, self.by_renewal)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _of(row: tuple[Any, ...]) -> ModelVersion:
    values = dict(zip(COLUMNS, row, strict=True))
    values["params"] = json.loads(values["params"])
    values["metrics"] = json.loads(values["metrics"])
    return ModelVersion(**values)


def save_version(
    con: duckdb.DuckDBPyConnection,
    *,
    target: str,
    horizon_days: int,
    window: tuple[date, date],
    rows: int,
    positives: int,
    params: dict[str, Any],
    metrics: dict[str, Any],
    model: Fitted,
    report: str,
    trained_by: str,
) -> int:
    """Store a new, unpublished version; its number."""
    (version,) = con.execute("SELECT coalesce(max(version), 0) + 1 FROM predict_models").fetchone()  # type: ignore[misc]
    con.execute(
        f"INSERT INTO predict_models ({', '.join(COLUMNS)}, model, report) VALUES "
        f"({', '.join('?' * (len(COLUMNS) + 2))})",
        [
            version,
            target,
            horizon_days,
            window[0],
            window[1],
            rows,
            positives,
            json.dumps(params),
            json.dumps(metrics),
            metrics.get("auc"),
            metrics.get("pr_auc"),
            metrics.get("brier"),
            metrics.get("ece"),
            False,
            None,
            False,
            _now(),
            trained_by,
            pickle.dumps(model),
            report,
        ],
    )
    return int(version)


def list_versions(con: duckdb.DuckDBPyConnection, target: str | None = None) -> list[ModelVersion]:
    """Every version (of ``target``), newest first."""
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM predict_models "
        "WHERE ?::VARCHAR IS NULL OR target = ? ORDER BY version DESC",
        [target, target],
    ).fetchall()
    return [_of(r) for r in rows]


def get_version(con: duckdb.DuckDBPyConnection, version: int) -> ModelVersion:
    row = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM predict_models WHERE version = ?", [version]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no model version {version} (`outsidein predict train` makes one)")
    return _of(row)


def published(con: duckdb.DuckDBPyConnection, target: str) -> ModelVersion | None:
    """The version in force for ``target``, if any."""
    row = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM predict_models WHERE target = ? AND published",
        [target],
    ).fetchone()
    return None if row is None else _of(row)


def load_model(con: duckdb.DuckDBPyConnection, version: int) -> Fitted:
    row = con.execute("SELECT model FROM predict_models WHERE version = ?", [version]).fetchone()
    if row is None:
        raise NotFoundError(f"no model version {version}")
    model = pickle.loads(row[0])  # written by this store's own training only
    if not isinstance(model, Fitted):
        raise NotFoundError(f"model version {version} holds no fitted model")
    return model


def report_html(con: duckdb.DuckDBPyConnection, version: int) -> str:
    row = con.execute("SELECT report FROM predict_models WHERE version = ?", [version]).fetchone()
    if row is None:
        raise NotFoundError(f"no model version {version} (`outsidein predict train` makes one)")
    return str(row[0])


def _figure(value: float | None) -> str:
    return "none" if value is None else f"{value:.3f}"


def publish(con: duckdb.DuckDBPyConnection, version: int, *, force: bool = False) -> ModelVersion:
    """Make ``version`` the one in force for its target.

    Refused (:class:`PublishRefusedError`) when its backtest AUC is below the published
    version's, unless ``force``; the message names both figures.
    """
    new = get_version(con, version)
    current = published(con, new.target)
    if current is not None and current.version == new.version:
        return new
    worse = (
        current is not None
        and current.auc is not None
        and (new.auc is None or new.auc < current.auc)
    )
    if worse and not force:
        assert current is not None
        raise PublishRefusedError(
            f"model version {new.version} ({new.target}) is not published: its backtest AUC "
            f"{_figure(new.auc)} is below the published version {current.version}'s "
            f'{_figure(current.auc)}. Publish it anyway with --force (API: "force": true).',
            version=new.version,
            auc=new.auc,
            published_version=current.version,
            published_auc=current.auc,
        )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "UPDATE predict_models SET published = false WHERE target = ? AND published",
            [new.target],
        )
        con.execute(
            "UPDATE predict_models SET published = true, published_at = ?, forced = ? "
            "WHERE version = ?",
            [_now(), bool(worse), version],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return get_version(con, version)
