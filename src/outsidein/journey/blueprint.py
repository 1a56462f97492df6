"""The service blueprint from the data: functions x stages, and the cells where it breaks.

A touchpoint falls in the cell of its function and its stage (its ``stage``, else the stage the
journey map gives its channel, as the stage funnel reads it; touchpoints in no stage of the map
are left out).
Per cell, over the touchpoints from ``since`` to before ``until``:

* **volume**: touchpoints; **failure rate**: the share whose outcome is ``failed``;
* **hand-off success rate**: of the touchpoints that hand the customer to another function
  (``handed_to``), the share the receiving function followed up (a touchpoint of that function
  for the same account) within the journey map's limit for the pair (72 h when unlisted);
* **time to respond**: per inbound touchpoint (the customer started it), the hours to the next
  touchpoint to the same account that the customer did not start (outbound, or no direction
  recorded); median and p90;
* **satisfaction near the cell**: the NPS and CSAT answers of the cell's accounts given in the
  ``days`` after one of the cell's touchpoints (each answer once per cell): NPS (share of
  promoters 9-10 minus detractors 0-6, x 100), mean CSAT, answers.

A cell **breaks** (with its reasons) when it has at least ``MIN_VOLUME`` touchpoints and its
failure rate is at least 1.5 times the whole blueprint's (and over 10 %), or at least
``MIN_HANDOFFS`` hand-offs of which under 80 % were followed up in time, or its median time to
respond is over twice the whole blueprint's (and over 24 h).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from outsidein.journey.interruptions import DEFAULT_LIMIT_HOURS
from outsidein.settings.journey import FUNCTION_NAMES, HandOff, Stage

__all__ = ["Blueprint", "Cell", "blueprint"]

MIN_VOLUME = 10
MIN_HANDOFFS = 5
FAILURE_FACTOR = 1.5
HANDOFF_FLOOR = 0.8


@dataclass(frozen=True)
class Cell:
    """One function in one stage."""

    function: str
    stage: str
    volume: int
    failed: int
    failure_rate: float | None
    handoffs: int
    handoffs_taken: int
    handoff_success: float | None
    inbound: int
    respond_median_hours: float | None
    respond_p90_hours: float | None
    answers: int
    nps: float | None
    csat: float | None
    breaks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Blueprint:
    """The cells in function order, then stage order, with the whole blueprint's rates."""

    functions: list[str]
    stages: list[str]
    cells: list[Cell]
    volume: int
    failure_rate: float | None
    respond_median_hours: float | None
    days: int

    def cell(self, function: str, stage: str) -> Cell:
        return next(c for c in self.cells if c.function == function and c.stage == stage)


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def blueprint(
    con: duckdb.DuckDBPyConnection,
    stages: list[Stage],
    handoffs: list[HandOff],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    segment: str | None = None,
    csm: str | None = None,
    days: int = 30,
) -> Blueprint:
    """The blueprint of the touchpoints in the window (see the module doc); ``segment`` keeps
    the accounts of that segment, ``csm`` that CSM's book."""
    names = [s.name for s in stages]
    pairs = [(c, s.name) for s in stages for c in s.channels] or [("", "")]
    limits = [(h.from_function, h.to_function, h.within_hours) for h in handoffs] or [
        ("", "", DEFAULT_LIMIT_HOURS)
    ]
    params: list[object] = [x for p in pairs for x in p] + [x for p in limits for x in p]
    params += [names, since, since, until, until, segment, segment, csm, csm]
    params += [DEFAULT_LIMIT_HOURS, days]
    rows = con.execute(
        f"""
        WITH chmap AS (SELECT * FROM (VALUES {", ".join(["(?, ?)"] * len(pairs))}) m(ch, st)),
        lim AS (
            SELECT * FROM (VALUES {", ".join(["(?, ?, ?::DOUBLE)"] * len(limits))}) l(f, t, h)
        ),
        known AS (SELECT unnest(?::VARCHAR[]) AS st),
        tp AS (
            SELECT t.touchpoint_id, t.account_id, t."at", t."function" AS fn, t.outcome,
                   t.handed_to, t.direction, coalesce(t.stage, m.st) AS st
            FROM touchpoints t LEFT JOIN chmap m ON m.ch = t.channel
            WHERE (?::TIMESTAMP IS NULL OR t."at" >= ?::TIMESTAMP)
              AND (?::TIMESTAMP IS NULL OR t."at" < ?::TIMESTAMP)
              AND (?::VARCHAR IS NULL OR t.account_id IN
                   (SELECT account_id FROM accounts WHERE segment = ?))
              AND (?::VARCHAR IS NULL OR t.account_id IN
                   (SELECT account_id FROM accounts WHERE csm_id = ?))
        ),
        cell AS (SELECT tp.* FROM tp JOIN known k ON k.st = tp.st),
        hand AS (
            SELECT c.touchpoint_id, c.fn, c.st, EXISTS (
                SELECT 1 FROM touchpoints f
                WHERE f.account_id = c.account_id AND f."function" = c.handed_to
                  AND f."at" > c."at"
                  AND f."at" <= c."at" + to_microseconds(
                      (coalesce(l.h, ?) * 3600e6)::BIGINT)
            ) AS taken
            FROM cell c LEFT JOIN lim l ON l.f = c.fn AND l.t = c.handed_to
            WHERE c.handed_to IS NOT NULL
        ),
        outbound AS (
            SELECT account_id, "at" FROM touchpoints WHERE direction IS DISTINCT FROM 'inbound'
        ),
        respond AS (
            SELECT c.fn, c.st, epoch(o."at" - c."at") / 3600.0 AS hours
            FROM cell c ASOF JOIN outbound o ON o.account_id = c.account_id AND o."at" > c."at"
            WHERE c.direction = 'inbound'
        ),
        near AS (
            SELECT DISTINCT c.fn, c.st, r.response_id, r.kind, r.score
            FROM cell c JOIN survey_responses r ON r.account_id = c.account_id
             AND r.kind IN ('nps', 'csat') AND r.score IS NOT NULL
             AND r.answered_at > c."at" AND r.answered_at <= c."at" + to_days(?::INTEGER)
        ),
        base AS (
            SELECT fn, st, count(*) AS volume, count(*) FILTER (WHERE outcome = 'failed') AS failed,
                   count(*) FILTER (WHERE direction = 'inbound') AS inbound
            FROM cell GROUP BY ALL
        ),
        h AS (SELECT fn, st, count(*) AS n, count(*) FILTER (WHERE taken) AS ok
              FROM hand GROUP BY ALL),
        r AS (SELECT fn, st, median(hours) AS med, quantile_cont(hours, 0.9) AS p90
              FROM respond GROUP BY ALL),
        s AS (
            SELECT fn, st, count(*) AS n,
                   100.0 * (count(*) FILTER (WHERE kind = 'nps' AND score >= 9)
                            - count(*) FILTER (WHERE kind = 'nps' AND score <= 6))
                     / nullif(count(*) FILTER (WHERE kind = 'nps'), 0) AS nps,
                   avg(score) FILTER (WHERE kind = 'csat') AS csat
            FROM near GROUP BY ALL
        )
        SELECT b.fn, b.st, b.volume, b.failed, b.inbound, coalesce(h.n, 0), coalesce(h.ok, 0),
               r.med, r.p90, coalesce(s.n, 0), s.nps, s.csat,
               (SELECT median(hours) FROM respond)
        FROM base b LEFT JOIN h USING (fn, st) LEFT JOIN r USING (fn, st)
             LEFT JOIN s USING (fn, st)
        """,
        params,
    ).fetchall()
    found = {(r[0], r[1]): r for r in rows}
    functions = [f for f in FUNCTION_NAMES if any(k[0] == f for k in found)]
    functions += sorted({k[0] for k in found} - set(functions))
    volume = sum(r[2] for r in rows)
    failed = sum(r[3] for r in rows)
    overall_fail = failed / volume if volume else None
    overall_respond = rows[0][12] if rows else None
    cells = []
    for f in functions:
        for st in names:
            r = found.get((f, st))
            if r is None:
                cells.append(Cell(f, st, 0, 0, None, 0, 0, None, 0, None, None, 0, None, None))
                continue
            _, _, vol, fail, inbound, hn, hok, med, p90, n, nps, csat, _ = r
            cell = Cell(
                f, st, vol, fail, _r(fail / vol), hn, hok, _r(hok / hn) if hn else None,
                inbound, _r(med, 2), _r(p90, 2), n, _r(nps, 1), _r(csat, 2),
            )  # fmt: skip
            cell.breaks.extend(_breaks(cell, overall_fail, overall_respond))
            cells.append(cell)
    return Blueprint(
        functions, names, cells, volume, _r(overall_fail), _r(overall_respond, 2), days
    )


def _breaks(c: Cell, overall_fail: float | None, overall_respond: float | None) -> list[str]:
    """Why a cell breaks, in words (see the module doc); empty when it holds."""
    out: list[str] = []
    if c.volume < MIN_VOLUME:
        return out
    rate = c.failure_rate or 0.0
    if overall_fail and rate > 0.1 and rate >= FAILURE_FACTOR * overall_fail:
        out.append(f"{rate:.0%} of touchpoints failed (all cells: {overall_fail:.0%})")
    if c.handoffs >= MIN_HANDOFFS and (c.handoff_success or 0.0) < HANDOFF_FLOOR:
        out.append(
            f"{c.handoffs - c.handoffs_taken} of {c.handoffs} hand-offs not followed up in time"
        )
    med = c.respond_median_hours
    if med is not None and overall_respond and med > 24 and med > 2 * overall_respond:
        out.append(f"median {med:.0f} h to respond (all cells: {overall_respond:.0f} h)")
    return out
