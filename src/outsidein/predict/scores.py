"""Predictions in the store (``predictions``) and what every interface reads from them.

One row per account, target and scoring day: the probability, the model version and the
drivers in words. Health, segments and playbooks read the latest day's row per account; the
account page and ``outsidein predict explain`` add the trend; the predictions page and
``outsidein predict score`` the portfolio summary (:func:`summary`): the risk distribution,
ARR at risk by renewal month and the drivers by segment, computed here once.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from outsidein.predict.explain import Driver

__all__ = ["AccountPrediction", "Summary", "for_account", "latest", "summary", "write"]

RISK_BANDS = ((0.0, 0.05), (0.05, 0.1), (0.1, 0.2), (0.2, 0.4), (0.4, 1.01))
TREND_DAYS = 180


def write(
    con: duckdb.DuckDBPyConnection,
    target: str,
    day: date,
    version: int,
    account_ids: Sequence[str],
    probabilities: np.ndarray,
    drivers: Sequence[Sequence[Driver]],
    *,
    arr: Sequence[float | None] | None = None,
    renewal: Sequence[date | None] | None = None,
) -> int:
    """Replace ``target``'s predictions of ``day``; ``arr`` and ``renewal`` (the account's
    ARR and next renewal on the day, from its features) feed the ARR at risk by month."""
    n = len(account_ids)
    table = pa.table(
        {
            "account_id": pa.array(list(account_ids), pa.string()),
            "arr": pa.array(list(arr) if arr is not None else [None] * n, pa.float64()),
            "renewal": pa.array(list(renewal) if renewal is not None else [None] * n, pa.date32()),
            "probability": pa.array(np.asarray(probabilities, dtype=float), pa.float64()),
            "drivers": pa.array(
                [json.dumps([asdict(d) for d in ds]) for ds in drivers], pa.string()
            ),
        }
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    cur = con.cursor()
    try:
        cur.register("_oi_pred", table)
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute("DELETE FROM predictions WHERE target = ? AND day = ?", [target, day])
            cur.execute(
                """INSERT INTO predictions
                   SELECT account_id, ?, ?::DATE, ?, probability, drivers, arr, renewal, ?
                   FROM _oi_pred""",
                [target, day, version, now],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.close()
    return len(table)


def latest(
    con: duckdb.DuckDBPyConnection,
    target: str = "churn",
    *,
    csm: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The last scoring day's predictions of ``target``, highest probability first."""
    rows = con.execute(
        """SELECT p.account_id, a.name, a.csm_id, a.segment, p.day, p.version, p.probability,
                  p.drivers, p.arr, p.renewal_date
           FROM predictions p LEFT JOIN accounts a USING (account_id)
           WHERE p.target = ? AND p.day = (SELECT max(day) FROM predictions WHERE target = ?)
             AND (?::VARCHAR IS NULL OR lower(a.csm_id) = lower(?))
           ORDER BY p.probability DESC, p.account_id LIMIT ?""",
        [target, target, csm, csm, limit],
    ).fetchall()
    names = (
        "account_id",
        "name",
        "csm_id",
        "segment",
        "day",
        "version",
        "probability",
        "drivers",
        "arr",
        "renewal_date",
    )
    out = []
    for row in rows:
        item = dict(zip(names, row, strict=True))
        item["drivers"] = json.loads(item["drivers"])
        out.append(item)
    return out


@dataclass
class AccountPrediction:
    """An account's latest prediction per target, and its trend (oldest first)."""

    account_id: str
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)


def for_account(con: duckdb.DuckDBPyConnection, account_id: str) -> AccountPrediction:
    found = AccountPrediction(account_id)
    rows = con.execute(
        """SELECT target, day, version, probability, drivers FROM predictions
           WHERE account_id = ? AND day >= (SELECT max(day) FROM predictions) - ?::INTEGER
           ORDER BY day, target""",
        [account_id, TREND_DAYS],
    ).fetchall()
    for target, day, version, probability, drivers in rows:
        found.trend.append({"target": target, "day": day, "probability": probability})
        found.targets[target] = {
            "day": day,
            "version": version,
            "probability": probability,
            "drivers": json.loads(drivers),
        }
    return found


def drivers_by_segment(rows: list[dict[str, Any]], top: int = 3) -> list[dict[str, Any]]:
    """Why each segment is at risk: per segment, the families whose contributions raise its
    accounts' churn logits most, each with its ``share`` of the segment's risk-raising
    contributions (the accounts' stored top drivers, summed) and the number of ``accounts``
    it is the first driver of."""
    weight: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    first: dict[str, Counter[str]] = defaultdict(Counter)
    risks: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        seg = r["segment"] or "(no segment)"
        risks[seg].append(r["probability"])
        for rank, d in enumerate(r["drivers"]):
            weight[seg][d["family"]] += max(float(d["contribution"]), 0.0)
            first[seg][d["family"]] += rank == 0
    out = []
    for seg in sorted(risks):
        total = sum(weight[seg].values())
        out.append(
            {
                "segment": seg,
                "accounts": len(risks[seg]),
                "mean_risk": float(np.mean(risks[seg])),
                "drivers": [
                    {"family": f, "share": w / total, "accounts": first[seg][f]}
                    for f, w in sorted(weight[seg].items(), key=lambda fw: -fw[1])[:top]
                    if w > 0
                ],
            }
        )
    return out


@dataclass
class Summary:
    """The portfolio view of the latest churn and expansion predictions."""

    day: date | None
    accounts: int
    expected_churn_arr: float
    risk_bands: list[dict[str, Any]]
    arr_at_risk_by_month: list[dict[str, Any]]
    drivers_by_segment: list[dict[str, Any]]
    expansion_accounts: int
    expected_expansion_accounts: float


def summary(con: duckdb.DuckDBPyConnection, *, csm: str | None = None) -> Summary:
    """Risk bands (accounts and ARR), ARR at risk (probability x ARR) by renewal month, and
    each segment's churn drivers (:func:`drivers_by_segment`)."""
    churn = latest(con, "churn", csm=csm)
    expansion = latest(con, "expansion", csm=csm)
    bands = []
    for low, high in RISK_BANDS:
        members = [r for r in churn if low <= r["probability"] < high]
        label = f"{low:.0%} or more" if high > 1 else f"{low:.0%} to {high:.0%}"
        bands.append(
            {
                "band": label,
                "low": low,
                "high": min(high, 1.0),
                "accounts": len(members),
                "arr": float(sum(r["arr"] or 0 for r in members)),
            }
        )
    months: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    for r in churn:
        renewal = r["renewal_date"]
        key = renewal.strftime("%Y-%m") if renewal is not None else "no renewal date"
        months[key] += r["probability"] * (r["arr"] or 0)
        counts[key] += 1
    keys = sorted(k for k in months if k[0].isdigit())
    keys += [k for k in months if not k[0].isdigit()]
    by_month = [{"month": k, "arr_at_risk": months[k], "accounts": counts[k]} for k in keys]
    by_segment = drivers_by_segment(churn)
    day = churn[0]["day"] if churn else (expansion[0]["day"] if expansion else None)
    return Summary(
        day,
        len(churn),
        float(sum(r["probability"] * (r["arr"] or 0) for r in churn)),
        bands,
        by_month,
        by_segment,
        len(expansion),
        float(sum(r["probability"] for r in expansion)),
    )
