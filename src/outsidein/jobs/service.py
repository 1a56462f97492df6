"""What the interfaces ask of the jobs package: the landscape of one grouping, trends and the
needs segments, with segmentation cached until the answers change (it refits k-means)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.errors import OutsideInError
from outsidein.jobs.business import account_facts
from outsidein.jobs.landscape import OutcomeScore, latest_survey, scores
from outsidein.jobs.segments import Segmentation, profile

__all__ = ["Landscape", "landscape", "needs_segments"]

_LOCK = threading.Lock()
_CACHE: dict[tuple[object, ...], Segmentation] = {}


def _stamp(cur: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    row = cur.execute(
        "SELECT count(*), max(loaded_at) FROM survey_responses WHERE kind = 'outcome'"
    ).fetchone()
    return tuple(row) if row else ()


def needs_segments(
    cur: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    *,
    survey: str | None = None,
    db: object = None,
) -> Segmentation:
    """The needs segments of ``survey`` [the latest wave] with their profiles (ARR, health
    and churn on the day of the last answer, or today if earlier)."""
    survey = survey or latest_survey(cur)
    key = (db, survey, *_stamp(cur))
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        row = cur.execute("SELECT max(answered_at)::DATE FROM survey_responses").fetchone()
        as_of = min(row[0], date.today()) if row and row[0] else date.today()
        try:
            facts, note = account_facts(cur, config, as_of), None
        except OutsideInError as exc:  # e.g. a currency without a rate: segments still stand
            facts, note = None, f"ARR, health and churn are not shown: {exc}"
        found = replace(profile(cur, survey=survey, accounts=facts), note=note)
        with _LOCK:
            _CACHE.clear()
            _CACHE[key] = found
    return found


@dataclass(frozen=True)
class Landscape:
    survey: str | None
    by: str | None
    groups: list[str]
    group: str | None
    scores: list[OutcomeScore]


def landscape(
    cur: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    *,
    by: str | None = None,
    group: str | None = None,
    survey: str | None = None,
    csm: str | None = None,
    db: object = None,
) -> Landscape:
    """Scores of every outcome for one group of ``by`` [everyone]; ``groups`` lists the
    groups there are, so a page can offer them."""
    survey = survey or latest_survey(cur)
    labels = None
    if by == "needs":
        labels = needs_segments(cur, config, survey=survey, db=db).labels
    found = scores(cur, by=by, survey=survey, csm=csm, labels=labels)
    groups = sorted({s.group for s in found})
    if by is not None:
        group = group if group in groups else (groups[0] if groups else None)
        found = [s for s in found if s.group == group]
    return Landscape(survey, by, groups, group, found)
