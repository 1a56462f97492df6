"""The timeline sources of the canonical tables: touchpoints, cases, survey answers, notes and
logged calls and meetings, health score changes and overrides, subscriptions.

Titles are built in SQL so that a search finds what a person reads; raw codes are turned into
words by :func:`words`, made from :mod:`outsidein.labels` (one list of words). A source that
belongs to another capability registers itself from that capability's package the same way.
"""

from __future__ import annotations

from outsidein.analytics.nps import nps_category_sql
from outsidein.labels import known_labels
from outsidein.timeline.registry import TimelineSource, register_source

__all__ = ["words"]


def words(column: str, kind: str | None = None) -> str:
    """SQL for :func:`outsidein.labels.label` of ``column``: the listed words, else the
    code with spaces for underscores and a capital first letter."""
    known = known_labels(kind)
    whens = " ".join(
        f"WHEN '{code}' THEN '{text.replace(chr(39), chr(39) * 2)}'" for code, text in known.items()
    )
    plain = f"replace({column}, '_', ' ')"
    fallback = (
        f"CASE WHEN {column} <> lower({column}) THEN {column} "
        f"ELSE upper({plain}[1]) || {plain}[2:] END"
    )
    return f"(CASE lower({column}) {whens} ELSE {fallback} END)"


TOUCHPOINTS = TimelineSource(
    "touchpoints",
    ("touchpoint",),
    f"""SELECT t.account_id, t."at"::TIMESTAMP AS "at", 'touchpoint' AS kind,
        {words("t.channel")} || ' by ' || {words('t."function"', "function")}
          || ': ' || {words("t.outcome")}
          || coalesce(', handed to ' || {words("t.handed_to", "function")}, '') AS title,
        concat_ws(' · ', t.note, 'Stage: ' || {words("t.stage")}) AS detail,
        coalesce(c.name, {words('t."function"', "function")}) AS actor,
        NULL::VARCHAR AS link
    FROM touchpoints t LEFT JOIN contacts c USING (contact_id)""",
)

_CASE = "coalesce(k.subject, '(no subject)')"
_FUNCTIONS = (
    "array_to_string(list_transform(string_split(k.functions, ','), lambda f: "
    + words("trim(f)", "function")
    + "), ', ')"
)
CASES = TimelineSource(
    "cases",
    ("case_opened", "case_closed"),
    f"""SELECT k.account_id, k.opened_at::TIMESTAMP AS "at", 'case_opened' AS kind,
        'Case opened: ' || {_CASE} || ' (' || {words("k.priority")} || ' priority)' AS title,
        concat_ws(' · ', 'Now: ' || {words("k.status")}, 'Functions: ' || {_FUNCTIONS},
                  k.case_id) AS detail,
        c.name AS actor, NULL::VARCHAR AS link
    FROM cases k LEFT JOIN contacts c USING (contact_id)
    UNION ALL
    SELECT k.account_id, k.closed_at::TIMESTAMP, 'case_closed',
        'Case closed: ' || {_CASE},
        concat_ws(' · ', {words("k.status")},
                  'open ' || round(epoch(k.closed_at - k.opened_at) / 3600, 1) || ' h',
                  k.case_id),
        c.name, NULL::VARCHAR
    FROM cases k LEFT JOIN contacts c USING (contact_id) WHERE k.closed_at IS NOT NULL""",
)

NPS_CATEGORY = words(nps_category_sql("r.score"))
SURVEYS = TimelineSource(
    "surveys",
    ("survey",),
    f"""SELECT r.account_id, r.answered_at::TIMESTAMP AS "at", 'survey' AS kind,
        CASE r.kind
          WHEN 'nps' THEN 'NPS ' || r.score::INTEGER || ' (' || {NPS_CATEGORY} || ')'
          WHEN 'csat' THEN 'CSAT ' || r.score::INTEGER || ' of 5'
          WHEN 'ces' THEN 'CES ' || r.score::INTEGER || ' of 7'
          WHEN 'outcome' THEN 'Outcome: ' || coalesce(o.statement, r.outcome_id)
            || ' (importance ' || r.importance || '/5, satisfaction ' || r.satisfaction || '/5)'
          ELSE {words("r.kind")} || coalesce(' ' || r.score, '')
        END AS title,
        concat_ws(' · ', r."comment", r.survey) AS detail,
        c.name AS actor, NULL::VARCHAR AS link
    FROM survey_responses r LEFT JOIN contacts c USING (contact_id)
    LEFT JOIN outcomes o USING (outcome_id)""",
)

NOTES = TimelineSource(
    "notes",
    ("note", "call", "meeting"),
    f"""SELECT n.account_id, n."at", n.kind,
        {words("n.kind")} || ': ' || coalesce(n.subject, CASE WHEN length(n.body) > 80
          THEN n.body[:79] || '…' ELSE n.body END) AS title,
        n.body AS detail, n.author AS actor, NULL::VARCHAR AS link
    FROM account_notes n""",
)

_POINTS = "coalesce(round({0})::INTEGER::VARCHAR, '—')"
_BAND_MOVE = (
    "CASE WHEN band_before IS DISTINCT FROM band AND band_before IS NOT NULL "
    "THEN band_before || ' → ' ELSE '' END"
)
HEALTH = TimelineSource(
    "health",
    ("health", "health_override"),
    f"""SELECT account_id, valid_from AS "at", 'health' AS kind,
        CASE WHEN before IS NULL THEN 'Health first scored ' || {_POINTS.format("score")}
             ELSE 'Health ' || {_POINTS.format("before")} || ' → ' || {_POINTS.format("score")}
        END || coalesce(' (' || {_BAND_MOVE} || band || ')', '') AS title,
        'scorecard ' || scorecard AS detail, NULL::VARCHAR AS actor,
        '/accounts/' || account_id || '#health' AS link
    FROM (SELECT *, lag(score) OVER w AS before, lag(band) OVER w AS band_before
          FROM health_scores WINDOW w AS (PARTITION BY account_id ORDER BY valid_from))
    WHERE before IS NULL OR round(before) IS DISTINCT FROM round(score)
       OR band_before IS DISTINCT FROM band
    UNION ALL
    SELECT account_id, created_at, 'health_override',
        'Health overridden: ' || concat_ws(', ', round(score)::INTEGER::VARCHAR, band)
          || ' until ' || strftime(expires_at, '%-d %b %Y'),
        reason, author, '/accounts/' || account_id || '#health'
    FROM health_overrides""",
)

# What has happened: a subscription starting or ending later is not on the timeline yet.
SUBSCRIPTIONS = TimelineSource(
    "subscriptions",
    ("subscription_started", "subscription_ended"),
    f"""SELECT account_id, start_date::TIMESTAMP AS "at", 'subscription_started' AS kind,
        'Subscription started: ' || plan || ', ' || mrr || ' ' || currency || ' a month'
          || coalesce(', ' || seats || ' seats', '') AS title,
        subscription_id AS detail, NULL::VARCHAR AS actor, NULL::VARCHAR AS link
    FROM subscriptions WHERE start_date <= current_date
    UNION ALL
    SELECT account_id, end_date::TIMESTAMP, 'subscription_ended',
        'Subscription ended: ' || plan || ' (' || {words("status")} || ')',
        subscription_id, NULL::VARCHAR, NULL::VARCHAR
    FROM subscriptions WHERE end_date IS NOT NULL AND end_date <= current_date""",
)

for _found in (TOUCHPOINTS, CASES, SURVEYS, NOTES, HEALTH, SUBSCRIPTIONS):
    register_source(_found)
