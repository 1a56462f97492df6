"""Opportunity scores per outcome, for everyone or per group, and their change between waves.

Every page, API response and CLI output reads these; the arithmetic is in
:mod:`outsidein.jobs.scoring`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from outsidein.errors import InvalidRequestError
from outsidein.jobs.answers import GROUPS, answers, waves
from outsidein.jobs.scoring import MIN_RESPONDENTS, Cells, Change, Score, change, score

__all__ = [
    "JobsQueryError",
    "OutcomeScore",
    "OutcomeTrend",
    "around_date",
    "cells_by",
    "scores",
    "trends",
]

ALL = "all"  # the group of every respondent


class JobsQueryError(InvalidRequestError):
    """A score asked for by something that does not exist (a grouping, a survey)."""

    code = "jobs_query"
    exit_code = 2


@dataclass(frozen=True)
class OutcomeScore:
    outcome_id: str
    statement: str
    job: str
    step: str | None
    group: str  # "all", a segment, a tier or an account id
    score: Score


@dataclass(frozen=True)
class OutcomeTrend:
    outcome_id: str
    statement: str
    before: str  # survey name
    after: str
    change: Change
    group: str = ALL  # "all", a segment, a tier or an account id


def cells_by(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], Cells]:
    """The four cells of each (``keys``) group of an answers frame."""
    if frame.empty:
        return {}
    f = frame.assign(i=frame["importance"] >= 4, s=frame["satisfaction"] >= 4)
    f = f.assign(
        both=f["i"] & f["s"], imp_only=f["i"] & ~f["s"], sat_only=~f["i"] & f["s"],
        neither=~f["i"] & ~f["s"],
    )  # fmt: skip
    g = f.groupby(keys, dropna=False)[["both", "imp_only", "sat_only", "neither"]].sum()
    out: dict[tuple[str, ...], Cells] = {}
    for key, row in g.iterrows():
        k = key if isinstance(key, tuple) else (key,)
        out[tuple("(none)" if pd.isna(x) else str(x) for x in k)] = Cells(
            int(row["both"]), int(row["imp_only"]), int(row["sat_only"]), int(row["neither"])
        )
    return out


def _catalog(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, str | None]]:
    rows = cur.execute(
        "SELECT o.outcome_id, o.statement, j.name, s.name FROM outcomes o "
        "LEFT JOIN jobs j USING (job_id) LEFT JOIN job_steps s USING (step_id)"
    ).fetchall()
    return {r[0]: (r[1], r[2] or r[0], r[3]) for r in rows}


def latest_survey(cur: duckdb.DuckDBPyConnection) -> str | None:
    found = waves(cur)
    return found[-1].survey if found else None


def scores(
    cur: duckdb.DuckDBPyConnection,
    *,
    by: str | None = None,
    survey: str | None = None,
    account: str | None = None,
    csm: str | None = None,
    labels: pd.Series | None = None,
    min_respondents: int = MIN_RESPONDENTS,
) -> list[OutcomeScore]:
    """Scores per outcome (and per group of ``by``: segment, tier, account, or ``needs`` with
    ``labels``: respondent -> needs segment) in ``survey`` [the latest wave], highest
    opportunity first, unscored groups last. ``account``/``csm`` narrow the respondents."""
    if by is not None and by not in (*GROUPS, "needs"):
        raise JobsQueryError(f"cannot split scores by {by!r}: use one of {', '.join(GROUPS)}")
    survey = survey or latest_survey(cur)
    if survey is None:
        return []
    if survey not in {w.survey for w in waves(cur)}:
        raise JobsQueryError(f"no outcome survey is called {survey!r}")
    frame = answers(cur, survey=survey, account=account, csm=csm)
    if by == "needs":
        if labels is None:
            raise JobsQueryError("scores by needs segment need the segments (jobs segments)")
        frame = frame.assign(needs=frame["respondent"].map(labels))
        frame = frame[frame["needs"].notna()]
    group = by or "_all"
    if by is None:
        frame = frame.assign(_all=ALL)
    catalog = _catalog(cur)
    out = []
    for (g, outcome), cells in cells_by(frame, [group, "outcome_id"]).items():
        statement, job, step = catalog.get(outcome, (outcome, "", None))
        out.append(
            OutcomeScore(
                outcome, statement, job, step, g, score(cells, min_respondents=min_respondents)
            )
        )
    out.sort(key=lambda s: (s.group, s.score.opportunity is None, -(s.score.opportunity or 0)))
    return out


def around_date(cur: duckdb.DuckDBPyConnection, day: date) -> tuple[str, str]:
    """The waves on either side of ``day`` (a release, a playbook's start): the latest that
    began before it and the first that began on or after it (a wave's late answers may
    trickle in past the day)."""
    found = waves(cur)
    before = [w.survey for w in found if w.first_answer.date() < day]
    after = [w.survey for w in found if w.first_answer.date() >= day]
    if not before or not after:
        raise JobsQueryError(
            f"no outcome survey wave on both sides of {day}: the waves are "
            + ", ".join(
                f"{w.survey} ({w.first_answer:%Y-%m-%d} to {w.last_answer:%Y-%m-%d})" for w in found
            )
        )
    return before[-1], after[0]


def trends(
    cur: duckdb.DuckDBPyConnection,
    *,
    before: str | None = None,
    after: str | None = None,
    by: str | None = None,
    around: date | None = None,
) -> list[OutcomeTrend]:
    """Each outcome's change from the wave ``before`` [the one before the latest] to ``after``
    [the latest] (``around``: the waves either side of that day), per group of ``by``
    (segment, tier, account) when given; largest satisfaction rise first."""
    if by is not None and by not in GROUPS:
        raise JobsQueryError(f"cannot split trends by {by!r}: use one of {', '.join(GROUPS)}")
    if around is not None:
        before, after = around_date(cur, around)
    names = [w.survey for w in waves(cur)]
    if len(names) < 2 and (before is None or after is None):
        return []
    after = after or names[-1]
    before = before or names[names.index(after) - 1 if after in names else -2]
    for name in (before, after):
        if name not in names:
            raise JobsQueryError(f"no outcome survey is called {name!r}")
    group = by or "_all"
    keys = [group, "outcome_id"]
    a = cells_by(answers(cur, survey=after).assign(_all=ALL), keys)
    b = cells_by(answers(cur, survey=before).assign(_all=ALL), keys)
    catalog = _catalog(cur)
    out = [
        OutcomeTrend(
            o, catalog.get(o, (o, "", None))[0], before, after, change(b[(g, o)], a[(g, o)]), g
        )
        for (g, o) in sorted(set(a) & set(b))
    ]
    out.sort(key=lambda t: (t.group, -(t.change.satisfaction or -99.0)))
    return out
