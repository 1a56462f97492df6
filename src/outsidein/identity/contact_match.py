"""Contacts that look like the same person: the same email, or the same name at one domain.

Three ways, strongest first: the **same email** (compared without case or surrounding
spaces); the **same name and email domain** (``Jo Park <jo@acme.example>`` and
``jo park <j.park@acme.example>``; free-mail domains say nothing); the **same name in the
same account** (a support tool's requester without an email). Names are compared without
case, accents or punctuation. Pairs already decided (merged, or rejected) are not suggested
again. The contact loaded first is the one kept (usually the CRM's).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import duckdb

from outsidein.identity.match import normalise_domain

__all__ = ["ContactSuggestion", "contact_suggestions", "normalise_email", "normalise_person"]

METHODS = ("email", "name+domain", "name+account")  # strongest first


def normalise_email(value: str | None) -> str:
    """`` Jo.Park@ACME.example `` -> ``jo.park@acme.example``; empty without an ``@``."""
    text = (value or "").strip().lower()
    local, at, domain = text.partition("@")
    return text if at and local and "." in domain and " " not in text else ""


def normalise_person(name: str | None) -> str:
    """``José  O'Neil-Park`` -> ``jose oneil park``: no case, accents or punctuation."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9 -]+", "", text).replace("-", " ").split())


@dataclass(frozen=True)
class ContactSuggestion:
    """Two contacts that look like one person: keep ``contact_id``, merge ``other_id``."""

    contact_id: str
    contact_name: str | None
    contact_email: str | None
    contact_account: str
    other_id: str
    other_name: str | None
    other_email: str | None
    other_account: str
    method: str  # one of METHODS
    key: str  # the normalised email, or name and domain (or account) they share
    contact_systems: tuple[str, ...]
    other_systems: tuple[str, ...]


def _keys(name: str | None, email: str | None, account: str) -> list[tuple[str, str]]:
    """The (method, key) groups a contact belongs to."""
    keys: list[tuple[str, str]] = []
    person, address = normalise_person(name), normalise_email(email)
    if address:
        keys.append(("email", address))
    if person and (domain := normalise_domain(address)):
        keys.append(("name+domain", f"{person} @ {domain}"))
    if person:
        keys.append(("name+account", f"{person} @ {account}"))
    return keys


def contact_suggestions(
    con: duckdb.DuckDBPyConnection, limit: int = 500
) -> list[ContactSuggestion]:
    """Pairs of contacts sharing an email, a name and domain, or a name and account, not
    decided yet; email matches first."""
    rows = con.execute(
        "SELECT contact_id, name, email, account_id FROM contacts ORDER BY loaded_at, contact_id"
    ).fetchall()
    order = {row[0]: i for i, row in enumerate(rows)}
    info = {row[0]: row for row in rows}
    systems: dict[str, list[str]] = defaultdict(list)
    for system, contact in con.execute(
        "SELECT DISTINCT system, contact_id FROM contact_external_ids ORDER BY system"
    ).fetchall():
        systems[contact].append(system)
    decided = {
        frozenset(pair)
        for pair in con.execute("SELECT contact_id, other_id FROM contact_matches").fetchall()
    }
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for contact, name, email, account in rows:
        for group in _keys(name, email, account):
            groups[group].append(contact)
    found: dict[frozenset[str], ContactSuggestion] = {}
    for (method, key), members in groups.items():
        keep = members[0]  # rows are in load order
        for other in members[1:]:
            pair = frozenset((keep, other))
            if pair in decided:
                continue
            if pair in found and METHODS.index(found[pair].method) <= METHODS.index(method):
                continue
            a, b = info[keep], info[other]
            found[pair] = ContactSuggestion(
                keep, a[1], a[2], a[3], other, b[1], b[2], b[3], method, key,
                tuple(systems[keep]), tuple(systems[other]),
            )  # fmt: skip
    ranked = sorted(
        found.values(),
        key=lambda s: (METHODS.index(s.method), order[s.contact_id], order[s.other_id]),
    )
    return ranked[:limit]
