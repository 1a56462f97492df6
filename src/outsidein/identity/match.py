"""Accounts that look like the same customer: the same name or the same domain, normalised.

Names are compared without case, accents, punctuation or legal suffixes (``ACME, Inc.`` and
``Acme Inc`` and ``acme`` are one name); domains without scheme, ``www.``, path or port, and
an email address gives its domain. A domain comes from an account's custom fields
(``domain``, ``website``, ``company_domain_name``, an ``email`` kept from a billing export) and
from its contacts' emails; free-mail domains (gmail.com...) say nothing and are left out.
Pairs already decided (merged, or rejected) are not suggested again, nor a parent and its
subsidiary (or two subsidiaries of one parent), which often share a domain.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import duckdb

__all__ = ["Suggestion", "normalise_domain", "normalise_name", "suggestions"]

LEGAL_SUFFIXES = frozenset(
    [
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "ab",
        "as",
        "oy",
        "aps",
        "kk",
        "pty",
        "pvt",
        "corp",
        "corporation",
        "co",
        "company",
        "lp",
    ]
)
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
    ]
)
DOMAIN_FIELDS = ("domain", "website", "website_url", "company_domain_name", "domain_name", "email")


def normalise_name(name: str | None) -> str:
    """``ACME, Inc.`` -> ``acme``; ``Globex GmbH`` -> ``globex``."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", text.replace(".", "")).split()  # S.A. is sa
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def normalise_domain(value: str | None) -> str:
    """``https://www.Acme.example/about`` or ``jo@acme.example`` -> ``acme.example``;
    empty for a free-mail domain or no domain at all."""
    if not value:
        return ""
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split(":", 1)[0].strip(".")
    text = text.removeprefix("www.")
    if "." not in text or text in FREE_MAIL or not re.fullmatch(r"[a-z0-9.-]+", text):
        return ""
    return text


@dataclass(frozen=True)
class Suggestion:
    """Two accounts that look the same: keep ``account_id``, merge ``other_id`` into it."""

    account_id: str
    account_name: str
    other_id: str
    other_name: str
    method: str  # "domain" or "name"
    key: str  # the normalised domain or name they share
    account_systems: tuple[str, ...]
    other_systems: tuple[str, ...]


def _domains(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    rows = con.execute(
        "SELECT record_id, value FROM custom_values WHERE entity = 'accounts' "
        "AND name IN (SELECT unnest(?))",
        [list(DOMAIN_FIELDS)],
    ).fetchall()
    rows += con.execute("SELECT account_id, email FROM contacts WHERE email IS NOT NULL").fetchall()
    for account, value in rows:
        if domain := normalise_domain(value):
            found[account].add(domain)
    return found


def suggestions(con: duckdb.DuckDBPyConnection, limit: int = 500) -> list[Suggestion]:
    """Pairs of accounts sharing a normalised domain or name, not decided yet; the account
    loaded first is the one kept (usually the CRM's). Domain matches come first."""
    accounts = con.execute(
        "SELECT account_id, name, parent_account_id FROM accounts ORDER BY loaded_at, account_id"
    ).fetchall()
    order = {row[0]: i for i, row in enumerate(accounts)}
    names = {row[0]: row[1] for row in accounts}
    parent = {row[0]: row[2] for row in accounts if row[2]}

    def family(a: str, b: str) -> bool:
        """A parent and its subsidiary, or two subsidiaries, share a domain and are two."""
        return parent.get(a) == b or parent.get(b) == a or parent.get(a, a) == parent.get(b, b)

    systems: dict[str, list[str]] = defaultdict(list)
    for system, account in con.execute(
        "SELECT DISTINCT system, account_id FROM external_ids ORDER BY system"
    ).fetchall():
        systems[account].append(system)
    decided = {
        frozenset(pair)
        for pair in con.execute("SELECT account_id, other_id FROM identity_matches").fetchall()
    }
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for account, domains in _domains(con).items():
        if account in order:
            for domain in domains:
                groups[("domain", domain)].append(account)
    for account, name in names.items():
        if key := normalise_name(name):
            groups[("name", key)].append(account)
    found: dict[frozenset[str], Suggestion] = {}
    for (method, key), members in sorted(groups.items()):
        members = sorted(set(members), key=order.__getitem__)
        keep = members[0]
        for other in members[1:]:
            pair = frozenset((keep, other))
            if pair in decided or family(keep, other):
                continue
            if pair in found and found[pair].method == "domain":
                continue
            found[pair] = Suggestion(
                keep, names[keep], other, names[other], method, key,
                tuple(systems[keep]), tuple(systems[other]),
            )  # fmt: skip
    ranked = sorted(found.values(), key=lambda s: (s.method != "domain", order[s.account_id]))
    return ranked[:limit]
