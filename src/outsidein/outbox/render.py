"""A message's words: a template rendered in Jinja2's sandbox over the account's fields.

The fields (docs/outbox.md#templates) are read from the store when the message is enqueued:
``account`` (account_id, name, segment, industry, region), ``csm`` (csm_id, name),
``contact`` (contact_id, name, first_name, email, role, title), ``health`` (score, band,
scorecard: the effective score, an override standing in), ``renewal_date`` (the account's
next contract renewal, :mod:`outsidein.analytics.contracts`), ``unsubscribe_url``; the
caller's ``context`` adds its own names beside them. An unknown field is an error naming the
template and the field, never an empty string in a customer's email.
"""

from __future__ import annotations

import functools
import threading
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import jinja2
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.sandbox import SandboxedEnvironment

from outsidein.outbox.errors import TemplateError
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.outbox import Template

__all__ = ["BUILTIN_FIELDS", "Rendered", "fields_for", "render"]

BUILTIN_FIELDS = ("account", "csm", "contact", "health", "renewal_date", "unsubscribe_url")
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> jinja2.Template:
    """A template's text compiled once (compiling costs more than rendering)."""
    return _ENV.from_string(text)


class Rendered:
    """A rendered subject (emails) and body."""

    def __init__(self, subject: str | None, body: str) -> None:
        self.subject = subject
        self.body = body


def render(name: str, template: Template, fields: dict[str, Any]) -> Rendered:
    """``template`` over ``fields``; TemplateError names the template, the part and the field."""
    parts: dict[str, str | None] = {"subject": template.subject, "body": template.body}
    out: dict[str, str | None] = {}
    for part, text in parts.items():
        if text is None:
            out[part] = None
            continue
        try:
            out[part] = _compiled(text).render(fields)
        except UndefinedError as exc:
            known = ", ".join(sorted(fields))
            raise TemplateError(
                f"template {name!r} ({part}): {exc.message}; the fields are: {known}",
                template=name,
                part=part,
            ) from None
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {name!r} ({part}), line {exc.lineno}: {exc.message}",
                template=name,
                part=part,
            ) from None
        except (SecurityError, TemplateRuntimeError, TypeError, ValueError, ArithmeticError) as exc:
            # A field of the wrong kind (a caller's context value where a record is read).
            raise TemplateError(f"template {name!r} ({part}): {exc}", template=name) from None
    body = out["body"] or ""
    subject = out["subject"]
    # One line: a line break in a header would end it (and could inject another).
    return Rendered(None if subject is None else " ".join(subject.split()), body)


def fields_for(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    contact_id: str | None,
    analytics: AnalyticsConfig,
) -> dict[str, Any]:
    """The per-account (and per-contact) fields a template may read, from the store."""
    row = con.execute(
        "SELECT a.account_id, a.name, a.segment, a.industry, a.region, a.csm_id, c.name "
        "FROM accounts a LEFT JOIN csms c USING (csm_id) WHERE a.account_id = ?",
        [account_id],
    ).fetchall()
    if not row:
        return {}
    acc_id, name, segment, industry, region, csm_id, csm_name = row[0]
    fields: dict[str, Any] = {
        "account": {
            "account_id": acc_id, "name": name, "segment": segment, "industry": industry,
            "region": region,
        },
        "csm": {"csm_id": csm_id, "name": csm_name},
        "contact": _contact(con, contact_id),
        "health": _health(con, account_id),
        "renewal_date": _renewal(con, account_id, analytics),
    }  # fmt: skip
    return fields


def _contact(con: duckdb.DuckDBPyConnection, contact_id: str | None) -> dict[str, Any]:
    empty = dict.fromkeys(("contact_id", "name", "first_name", "email", "role", "title"))
    if contact_id is None:
        return empty
    rows = con.execute(
        "SELECT contact_id, name, email, role, title FROM contacts WHERE contact_id = ?",
        [contact_id],
    ).fetchall()
    if not rows:
        return empty
    cid, name, email, role, title = rows[0]
    first = name.split()[0] if name and name.split() else None
    return {
        "contact_id": cid, "name": name, "first_name": first, "email": email, "role": role,
        "title": title,
    }  # fmt: skip


def _health(con: duckdb.DuckDBPyConnection, account_id: str) -> dict[str, Any]:
    from outsidein.health.history import score_at

    found = score_at(con, account_id, datetime.now(UTC).replace(tzinfo=None))
    if found is None:
        return {"score": None, "band": None, "scorecard": None}
    score = None if found.score is None else round(found.score)
    return {"score": score, "band": found.band, "scorecard": found.scorecard}


class _Renewals:
    """Every account's next renewal, computed once (the one definition, in Ibis: about a second)
    and kept while the data it reads and the day stay the same, so enqueuing a thousand
    touches costs one computation, not a thousand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._dates: dict[str, date] = {}

    def of(
        self, con: duckdb.DuckDBPyConnection, account_id: str, analytics: AnalyticsConfig
    ) -> date | None:
        today = datetime.now(UTC).date()
        marks = con.execute(
            "SELECT (SELECT path FROM duckdb_databases() WHERE database_name = "
            "current_database()), (SELECT max(loaded_at) FROM subscriptions), "
            "(SELECT max(loaded_at) FROM contracts), (SELECT max(loaded_at) FROM accounts)"
        ).fetchall()[0]
        key = (today, analytics.model_dump_json(), *marks)
        with self._lock:
            if key != self._key:
                self._dates = _all_renewals(con, analytics, today)
                self._key = key
            return self._dates.get(account_id)


def _all_renewals(
    con: duckdb.DuckDBPyConnection, analytics: AnalyticsConfig, today: date
) -> dict[str, date]:
    from outsidein.analytics.backend import store_sources
    from outsidein.analytics.contracts import next_renewals

    cur = con.cursor()  # Ibis runs its own queries: keep the caller's results untouched
    try:
        due = next_renewals(store_sources(cur), analytics, today)
        table = due.group_by("account_id").agg(renewal_date=due.renewal_date.min()).to_pyarrow()
    finally:
        cur.close()
    return {
        str(a): d
        for a, d in zip(
            table["account_id"].to_pylist(), table["renewal_date"].to_pylist(), strict=True
        )
        if isinstance(d, date)
    }


_RENEWALS = _Renewals()


def _renewal(
    con: duckdb.DuckDBPyConnection, account_id: str, analytics: AnalyticsConfig
) -> date | None:
    """The account's next renewal: the one definition (analytics.contracts), not a re-count."""
    return _RENEWALS.of(con, account_id, analytics)
