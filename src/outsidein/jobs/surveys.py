"""Outcome surveys (waves) and their per-contact invitations (docs/jobs.md#surveys).

A survey asks about a set of outcomes in one random order, drawn from a recorded seed, the
same for every respondent. Each invited contact gets a link with an unguessable token; the
store keeps only the token's SHA-256, so a copy of the store does not hand out answering
rights. Answers, from the public form or a CSV, land in ``survey_responses`` (one row per
contact and outcome: answering again updates it), where the scores read them.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.exports import neutralise_formulas

__all__ = [
    "MAX_TOKEN",
    "Invitation",
    "Issued",
    "Survey",
    "SurveyError",
    "SurveyLinkError",
    "create_survey",
    "draw_order",
    "find_invitation",
    "get_survey",
    "invite",
    "links_csv",
    "list_surveys",
    "saved_answers",
    "submit",
    "survey_link",
    "write_answers",
]

SURVEY_PATH = "/s/"
MAX_TOKEN = 100
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
Field = Literal["importance", "satisfaction"]


class SurveyError(InvalidRequestError):
    """A survey request refused by a stated rule (unknown outcome, id taken, bad score)."""

    code = "invalid_survey"
    exit_code = 2


class SurveyLinkError(NotFoundError):
    """A survey link that is unknown, expired or closed: the public page says so (404)."""

    code = "survey_link"


@dataclass(frozen=True)
class Survey:
    survey_id: str
    title: str
    outcome_ids: list[str]  # in the order every respondent sees them
    seed: int
    created_by: str
    created_at: datetime
    closes_at: datetime | None
    invited: int = 0
    submitted: int = 0


@dataclass(frozen=True)
class Issued:
    """A new invitation: the token exists only here (give it out now, or issue it again)."""

    contact_id: str
    account_id: str
    email: str | None
    token: str


@dataclass(frozen=True)
class Invitation:
    survey: Survey
    contact_id: str
    account_id: str
    expires_at: datetime
    submitted_at: datetime | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def draw_order(outcome_ids: list[str], seed: int) -> list[str]:
    """The stated random order: the ids sorted, then shuffled by ``random.Random(seed)``."""
    order = sorted(set(outcome_ids))
    random.Random(seed).shuffle(order)
    return order


def _check_id(survey_id: str) -> str:
    survey_id = survey_id.strip()
    if not _ID.match(survey_id):
        raise SurveyError(
            f"survey id {survey_id!r}: use 1 to 100 letters, digits, '_', '.', ':' or '-'"
        )
    return survey_id


def create_survey(
    con: duckdb.DuckDBPyConnection,
    survey_id: str,
    *,
    title: str | None = None,
    outcome_ids: list[str] | None = None,
    seed: int | None = None,
    created_by: str = "cli",
    closes_at: datetime | None = None,
) -> Survey:
    """A new survey over ``outcome_ids`` [every outcome of the catalog], in an order drawn
    from ``seed`` [a random one], both recorded."""
    survey_id = _check_id(survey_id)
    if con.execute("SELECT 1 FROM outcome_surveys WHERE survey_id = ?", [survey_id]).fetchall():
        raise SurveyError(f"survey {survey_id!r} exists already: choose another id")
    known = [r[0] for r in con.execute("SELECT outcome_id FROM outcomes ORDER BY 1").fetchall()]
    wanted = list(outcome_ids) if outcome_ids else known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise SurveyError(
            f"outcome {unknown[0]!r} is not in the catalog: add it first "
            f"({len(known)} outcomes are, e.g. {', '.join(known[:3]) or 'none'})"
        )
    if not wanted:
        raise SurveyError("the catalog has no outcomes: import or add outcome statements first")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    if not 0 <= seed < 2**31:
        raise SurveyError(f"seed {seed}: give a whole number from 0 to 2,147,483,647")
    order = draw_order(wanted, seed)
    title = (title or "").strip()[:200] or f"Outcome survey {survey_id}"
    con.execute(
        "INSERT INTO outcome_surveys VALUES (?, ?, ?, ?, ?, ?, ?)",
        [survey_id, title, order, seed, created_by, _now(), closes_at],
    )
    return get_survey(con, survey_id)


_SURVEYS = """
SELECT s.survey_id, s.title, s.outcome_ids, s.seed, s.created_by, s.created_at, s.closes_at,
       count(i.contact_id), count(i.submitted_at)
FROM outcome_surveys s LEFT JOIN survey_invitations i USING (survey_id)
WHERE $id IS NULL OR s.survey_id = $id
GROUP BY ALL ORDER BY s.created_at, s.survey_id
"""


def list_surveys(con: duckdb.DuckDBPyConnection) -> list[Survey]:
    """Every survey with its invitation and submission counts, oldest first."""
    return [Survey(*r) for r in con.execute(_SURVEYS, {"id": None}).fetchall()]


def get_survey(con: duckdb.DuckDBPyConnection, survey_id: str) -> Survey:
    rows = con.execute(_SURVEYS, {"id": survey_id}).fetchall()
    if not rows:
        raise NotFoundError(f"no outcome survey {survey_id!r}", survey_id=survey_id)
    return Survey(*rows[0])


def survey_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{SURVEY_PATH}{token}"


def links_csv(survey: Survey, issued: list[Issued], public_url: str) -> str:
    """The invitations as a list of links (CSV, safe to open in a spreadsheet)."""
    table = pa.table(
        {
            "survey": pa.array([survey.survey_id] * len(issued), pa.string()),
            "account_id": pa.array([i.account_id for i in issued], pa.string()),
            "contact_id": pa.array([i.contact_id for i in issued], pa.string()),
            "email": pa.array([i.email for i in issued], pa.string()),
            "link": pa.array([survey_link(public_url, i.token) for i in issued], pa.string()),
        }
    )
    out = io.BytesIO()
    pacsv.write_csv(neutralise_formulas(table), out)
    return out.getvalue().decode("utf-8")


def invite(
    con: duckdb.DuckDBPyConnection,
    survey_id: str,
    *,
    account: str | None = None,
    contacts: list[str] | None = None,
    days: int = 30,
    reissue: bool = False,
    now: datetime | None = None,
) -> list[Issued]:
    """Invite contacts (``contacts``, or those of ``account``, or every contact with an email
    address) who have no invitation yet; ``reissue``: new tokens for invited ones too (their
    old links stop working). The tokens are returned once: only their hashes are kept."""
    survey = get_survey(con, survey_id)
    if not 1 <= days <= 366:
        raise SurveyError(f"days {days}: an invitation lasts 1 to 366 days")
    rows = con.execute(
        "SELECT contact_id, account_id, email FROM contacts "
        "WHERE ($ids IS NULL AND email IS NOT NULL OR list_contains($ids, contact_id)) "
        "AND ($account IS NULL OR account_id = $account) ORDER BY contact_id",
        {"ids": contacts, "account": account},
    ).fetchall()
    missing = sorted(set(contacts or []) - {r[0] for r in rows})
    if missing:
        raise NotFoundError(f"no contact {missing[0]!r}", contact_id=missing[0])
    invited = {
        r[0]
        for r in con.execute(
            "SELECT contact_id FROM survey_invitations WHERE survey_id = ?", [survey.survey_id]
        ).fetchall()
    }
    at = now or _now()
    issued = [
        Issued(contact, acc, email, secrets.token_urlsafe(24))
        for contact, acc, email in rows
        if reissue or contact not in invited
    ]
    if not issued:
        return []
    table = pa.table({
        "contact_id": [i.contact_id for i in issued],
        "account_id": [i.account_id for i in issued],
        "token_sha256": [_hash(i.token) for i in issued],
    })  # fmt: skip
    con.register("_issued", table)  # one statement: executemany is slow on DuckDB
    try:
        con.execute(
            "INSERT INTO survey_invitations SELECT $survey, contact_id, account_id, token_sha256, "
            "$at, $until, NULL, NULL FROM _issued ON CONFLICT (survey_id, contact_id) DO UPDATE "
            "SET token_sha256 = excluded.token_sha256, created_at = excluded.created_at, "
            "expires_at = excluded.expires_at",
            {"survey": survey.survey_id, "at": at, "until": at + timedelta(days=days)},
        )
    finally:
        con.unregister("_issued")
    return issued


def find_invitation(
    con: duckdb.DuckDBPyConnection, token: str, now: datetime | None = None
) -> Invitation:
    """The invitation a link's token opens; SurveyLinkError when unknown, expired or closed
    (one message for all three: a guess learns nothing)."""
    gone = SurveyLinkError("this survey link is not valid or has expired")
    if not token or len(token) > MAX_TOKEN:
        raise gone
    rows = con.execute(
        "SELECT survey_id, contact_id, account_id, expires_at, submitted_at "
        "FROM survey_invitations WHERE token_sha256 = ?",
        [_hash(token)],
    ).fetchall()
    if not rows:
        raise gone
    survey_id, contact, account, expires, submitted = rows[0]
    survey = get_survey(con, survey_id)
    at = now or _now()
    if expires <= at or (survey.closes_at is not None and survey.closes_at <= at):
        raise gone
    return Invitation(survey, contact, account, expires, submitted)


def _score(outcome: str, name: str, value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 5 or isinstance(value, bool):
        raise SurveyError(f"{outcome} {name}: {value!r} is not a rating; give 1 to 5")
    return number


def write_answers(
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[str, str, str, str, int | None, int | None, datetime]],
    source: str,
) -> None:
    """Upsert ``(survey, account, contact, outcome, importance, satisfaction, answered_at)``
    into ``survey_responses``: one row per survey, contact and outcome; a rating left out
    keeps the one given before."""
    if not rows:
        return
    s, a, c, o, imp, sat, when = (list(col) for col in zip(*rows, strict=True))
    table = pa.table({
        "response_id": [f"{x}:{y}:{z}" for x, y, z in zip(s, c, o, strict=True)],
        "account_id": a, "contact_id": c, "survey": s,
        "answered_at": pa.array(when, pa.timestamp("us")), "outcome_id": o,
        "importance": pa.array(imp, pa.int32()), "satisfaction": pa.array(sat, pa.int32()),
    })  # fmt: skip
    con.register("_answers", table)  # one statement: executemany is slow on DuckDB
    try:
        con.execute(
            "INSERT INTO survey_responses (response_id, account_id, contact_id, survey, "
            "answered_at, kind, outcome_id, importance, satisfaction, source, loaded_at) "
            "SELECT response_id, account_id, contact_id, survey, answered_at, 'outcome', "
            "outcome_id, importance, satisfaction, $source, $at FROM _answers "
            "ON CONFLICT (response_id) DO UPDATE SET "
            "importance = coalesce(excluded.importance, survey_responses.importance), "
            "satisfaction = coalesce(excluded.satisfaction, survey_responses.satisfaction), "
            "answered_at = excluded.answered_at, source = excluded.source, "
            "loaded_at = excluded.loaded_at",
            {"source": source, "at": _now()},
        )
    finally:
        con.unregister("_answers")


def saved_answers(
    con: duckdb.DuckDBPyConnection, invitation: Invitation
) -> dict[str, tuple[int | None, int | None]]:
    """The contact's answers so far: outcome id -> (importance, satisfaction)."""
    rows = con.execute(
        "SELECT outcome_id, importance, satisfaction FROM survey_responses "
        "WHERE survey = ? AND contact_id = ? AND kind = 'outcome'",
        [invitation.survey.survey_id, invitation.contact_id],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def submit(
    con: duckdb.DuckDBPyConnection,
    invitation: Invitation,
    answers: dict[str, dict[str, object]],
    *,
    final: bool,
    now: datetime | None = None,
) -> int:
    """Save ``{outcome: {"importance": v, "satisfaction": v}}`` (one answer as it is given,
    or the whole form); ``final`` marks the invitation submitted. Returns answers saved."""
    asked = set(invitation.survey.outcome_ids)
    rows = []
    at = now or _now()
    for outcome, given in answers.items():
        if outcome not in asked:
            raise SurveyError(f"outcome {outcome!r} is not asked in this survey")
        imp = _score(outcome, "importance", given.get("importance"))
        sat = _score(outcome, "satisfaction", given.get("satisfaction"))
        if imp is not None or sat is not None:
            rows.append(
                (
                    invitation.survey.survey_id,
                    invitation.account_id,
                    invitation.contact_id,
                    outcome,
                    imp,
                    sat,
                    at,
                )
            )
    con.execute("BEGIN TRANSACTION")
    try:
        write_answers(con, rows, "survey-form")
        if final:
            con.execute(
                "UPDATE survey_invitations SET submitted_at = ? "
                "WHERE survey_id = ? AND contact_id = ?",
                [at, invitation.survey.survey_id, invitation.contact_id],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)
