"""Outcome-survey answers as the scores and segments read them (one place, one shape).

A respondent is a contact in one survey (a wave); a contact who answered an outcome twice
in a wave counts once, with their latest answer. Rows without a contact count as one
respondent per account and wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

__all__ = ["GROUPS", "Wave", "answers", "waves"]

# How scores can be split: a column of the answers frame per grouping.
GROUPS = ("segment", "tier", "account")

_ANSWERS = """
WITH latest_tier AS (
    SELECT account_id, arg_max(tier, valid_from) AS tier FROM account_tiers GROUP BY account_id
)
SELECT r.survey, coalesce(r.contact_id, 'account:' || r.account_id) AS respondent,
       r.account_id, r.outcome_id, r.importance, r.satisfaction, r.answered_at,
       a.segment, t.tier, a.account_id AS account
FROM survey_responses r
LEFT JOIN accounts a USING (account_id)
LEFT JOIN latest_tier t USING (account_id)
WHERE r.kind = 'outcome' AND r.importance IS NOT NULL AND r.satisfaction IS NOT NULL
  AND ($survey IS NULL OR r.survey = $survey)
  AND ($account IS NULL OR r.account_id = $account)
  AND ($csm IS NULL OR a.csm_id = $csm)
QUALIFY row_number() OVER (
    PARTITION BY r.survey, coalesce(r.contact_id, 'account:' || r.account_id), r.outcome_id
    ORDER BY r.answered_at DESC, r.response_id DESC) = 1
"""


@dataclass(frozen=True)
class Wave:
    """One outcome survey: its name, when its answers came in, how many answered."""

    survey: str
    first_answer: datetime
    last_answer: datetime
    respondents: int


def waves(cur: duckdb.DuckDBPyConnection) -> list[Wave]:
    """Every outcome survey, oldest first (by its first answer)."""
    rows = cur.execute(
        "SELECT survey, min(answered_at), max(answered_at), "
        "count(DISTINCT coalesce(contact_id, 'account:' || account_id)) "
        "FROM survey_responses WHERE kind = 'outcome' GROUP BY survey ORDER BY 2, 1"
    ).fetchall()
    return [Wave(*r) for r in rows]


def answers(
    cur: duckdb.DuckDBPyConnection,
    *,
    survey: str | None = None,
    account: str | None = None,
    csm: str | None = None,
) -> pd.DataFrame:
    """One row per respondent, wave and outcome: ``survey, respondent, account_id,
    outcome_id, importance, satisfaction, answered_at, segment, tier, account``; ``csm``:
    only the answers of that CSM's accounts."""
    return cur.execute(_ANSWERS, {"survey": survey, "account": account, "csm": csm}).df()
