"""``outcome_satisfaction`` per account on a day: the field segment filters, playbook
conditions and health read (docs/jobs.md#as-a-field).

An account's outcome satisfaction is the top-two-box share x 10 (the scores' own definition,
:mod:`outsidein.jobs.scoring`) over every outcome answer of its respondents in the latest
outcome survey it answered by the end of the day; null when it answered none.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb
import pyarrow as pa

from outsidein.jobs.scoring import TOP_BOX

__all__ = ["FIELD", "segment_fields"]

FIELD = "outcome_satisfaction"


def segment_fields(
    con: duckdb.DuckDBPyConnection, day: date, *, outcome_id: str | None = None
) -> pa.Table:
    """One row per account created by the end of ``day``: ``account_id, outcome_satisfaction``;
    ``outcome_id``: the satisfaction with that one outcome (a success plan's measure, a
    playbook trigger), over the latest outcome survey in which the account rated it."""
    end = datetime.combine(day + timedelta(days=1), time())
    cur = con.cursor()
    try:
        return cur.sql(
            f"""
            WITH answered AS (
                SELECT account_id, survey, satisfaction, answered_at FROM survey_responses
                WHERE kind = 'outcome' AND satisfaction IS NOT NULL AND answered_at < $end
                  AND ($outcome IS NULL OR outcome_id = $outcome)
            ), latest AS (
                SELECT account_id, arg_max(survey, answered_at) AS survey
                FROM answered GROUP BY account_id
            ), share AS (
                SELECT a.account_id, 10.0 * avg((a.satisfaction >= {TOP_BOX})::INT) AS v
                FROM answered a JOIN latest l USING (account_id, survey) GROUP BY a.account_id
            )
            SELECT c.account_id, s.v AS {FIELD} FROM accounts c
            LEFT JOIN share s USING (account_id)
            WHERE c.created_at < $end ORDER BY c.account_id
            """,
            params={"end": end, "outcome": outcome_id},
        ).to_arrow_table()
    finally:
        cur.close()
