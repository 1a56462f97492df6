"""The outcome survey as a CSV: a template to fill in, and the import of filled ones
(docs/jobs.md#surveys).

One row per contact; after ``survey, account_id, contact_id, answered_at`` two columns per
outcome, in the survey's stated order: ``importance:<outcome id>`` and
``satisfaction:<outcome id>``, each 1 to 5 or blank. An import is all or nothing: every
problem is named (file, line, field, value, fix) and nothing is stored until none is left.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from outsidein.errors import LoadError
from outsidein.jobs.surveys import Survey, get_survey, write_answers

__all__ = [
    "FIXED",
    "MAX_ROWS",
    "Problem",
    "SurveyImportError",
    "columns",
    "import_csv",
    "template_csv",
]

_RISKY = ("=", "+", "-", "@", "\t", "\r")
FIXED = ["survey", "account_id", "contact_id", "answered_at"]
MAX_ROWS = 100_000
SOURCE = "survey-csv"


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    value: str
    fix: str

    def text(self, name: str) -> str:
        return f"{name} line {self.line}, {self.field} = {self.value!r}: {self.fix}"


class SurveyImportError(LoadError):
    """A filled survey that cannot be imported; ``details['problems']`` lists every one."""

    code = "invalid_survey_csv"
    http_status = 422


def columns(survey: Survey) -> list[str]:
    """The template's header, outcomes in the survey's stated order."""
    return FIXED + [f"{k}:{o}" for o in survey.outcome_ids for k in ("importance", "satisfaction")]


def template_csv(con: duckdb.DuckDBPyConnection, survey_id: str, *, blank: bool = False) -> str:
    """The instrument: a row per invited contact (every contact with an email address when
    none is invited yet), or the header alone (``blank``)."""
    survey = get_survey(con, survey_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = columns(survey)
    writer.writerow(header)
    if not blank:
        rows = (
            con.execute(
                "SELECT contact_id, account_id FROM survey_invitations WHERE survey_id = ? "
                "ORDER BY account_id, contact_id",
                [survey.survey_id],
            ).fetchall()
            or con.execute(
                "SELECT contact_id, account_id FROM contacts WHERE email IS NOT NULL "
                "ORDER BY account_id, contact_id"
            ).fetchall()
        )
        blanks = [""] * (len(header) - 3)
        for contact, account in rows:
            writer.writerow([_safe(survey.survey_id), _safe(account), _safe(contact), *blanks])
    return out.getvalue()


def _safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, quoted (exports.py's rule); undone on
    import by :func:`_unsafe`."""
    return f"'{cell}" if cell.startswith(_RISKY) else cell


def _unsafe(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_RISKY) else cell


def _problems_in_header(header: list[str], expected: list[str]) -> list[Problem]:
    found = []
    for name in expected:
        if name not in header:
            found.append(Problem(1, name, "", "the column is missing: start from the template"))
    for name in header:
        if name not in expected:
            found.append(
                Problem(
                    1,
                    name,
                    name,
                    "not a column of this survey: remove it or start from "
                    "the survey's template (outsidein jobs survey template)",
                )
            )
    return found


def _when(value: str, now: datetime) -> datetime | str:
    """The answer's time, or the fix to give."""
    if not value.strip():
        return now
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        return "give an ISO 8601 time, e.g. 2026-11-30T09:30:00, or leave it blank (now)"
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at if at <= now else "the time is in the future: give the time it was answered"


def import_csv(
    con: duckdb.DuckDBPyConnection,
    survey_id: str,
    text: str,
    name: str = "survey.csv",
    now: datetime | None = None,
) -> int:
    """Store the filled survey's answers (one per contact and outcome; a contact's earlier
    answer is updated). Returns the answers stored; raises SurveyImportError naming every
    problem (up to 50) when any row is wrong."""
    survey = get_survey(con, survey_id)
    at = now or datetime.now(UTC).replace(tzinfo=None)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader, [])]
    expected = columns(survey)
    problems = _problems_in_header(header, expected)
    if problems:
        raise _refusal(name, problems)
    contacts = dict(con.execute("SELECT contact_id, account_id FROM contacts").fetchall())
    accounts = {r[0] for r in con.execute("SELECT account_id FROM accounts").fetchall()}
    seen: dict[str, int] = {}
    rows = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if line > MAX_ROWS + 1:
            problems.append(Problem(line, "", "", f"at most {MAX_ROWS:,} rows: split the file"))
            break
        if len(values) != len(header):
            problems.append(
                Problem(
                    line,
                    "",
                    ",".join(values)[:80],
                    f"{len(values)} values for {len(header)} columns",
                )
            )
            continue
        row = dict(zip(header, (_unsafe(v.strip()) for v in values), strict=True))
        problems += _check_row(line, row, survey, contacts, accounts, seen)
        when = _when(row["answered_at"], at)
        if isinstance(when, str):
            problems.append(Problem(line, "answered_at", row["answered_at"], when))
            continue
        for outcome in survey.outcome_ids:
            pair = [
                _rating(line, f"{k}:{outcome}", row[f"{k}:{outcome}"], problems)
                for k in ("importance", "satisfaction")
            ]
            if pair[0] is not None or pair[1] is not None:
                rows.append(
                    (
                        survey.survey_id,
                        row["account_id"],
                        row["contact_id"],
                        outcome,
                        pair[0],
                        pair[1],
                        when,
                    )
                )
        if len(problems) >= 50:
            break
    if problems:
        raise _refusal(name, problems)
    con.execute("BEGIN TRANSACTION")
    try:
        write_answers(con, rows, SOURCE)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def _check_row(
    line: int,
    row: dict[str, str],
    survey: Survey,
    contacts: dict[str, str],
    accounts: set[str],
    seen: dict[str, int],
) -> list[Problem]:
    found = []
    if row["survey"] and row["survey"] != survey.survey_id:
        found.append(
            Problem(
                line,
                "survey",
                row["survey"],
                f"this file is imported into survey {survey.survey_id!r}: give "
                "that or leave it blank",
            )
        )
    account, contact = row["account_id"], row["contact_id"]
    if account not in accounts:
        found.append(Problem(line, "account_id", account, "no such account: give a known one"))
    if not contact:
        found.append(Problem(line, "contact_id", contact, "give the contact who answered"))
    elif contact not in contacts:
        found.append(Problem(line, "contact_id", contact, "no such contact: load it first"))
    elif contacts[contact] != account and account in accounts:
        found.append(
            Problem(
                line, "contact_id", contact, f"the contact belongs to account {contacts[contact]!r}"
            )
        )
    if contact and contact in seen:
        found.append(
            Problem(
                line,
                "contact_id",
                contact,
                f"the same contact as line {seen[contact]}: one row per contact",
            )
        )
    seen.setdefault(contact, line)
    return found


def _rating(line: int, field: str, value: str, problems: list[Problem]) -> int | None:
    if not value:
        return None
    if value in ("1", "2", "3", "4", "5"):
        return int(value)
    problems.append(
        Problem(
            line, field, value, "give a whole number from 1 to 5, or leave it blank (not answered)"
        )
    )
    return None


def _refusal(name: str, problems: list[Problem]) -> SurveyImportError:
    first = problems[0].text(name)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return SurveyImportError(
        f"{first}{more}; nothing was imported",
        problems=[
            {"file": name, "line": p.line, "field": p.field, "value": p.value, "fix": p.fix}
            for p in problems
        ],
    )
