"""Groups become accounts and identified users become contacts, through their traits.

Every trait is kept in ``segment_traits``, one row per (group or user, trait), the newest by
event time winning: traits are never lost, and a call arriving late never overwrites a
newer value. The canonical ``accounts`` and ``contacts`` columns are then derived from the
traits of whatever this cycle touched, so they follow the same rule.

A ``groupId`` is resolved like the file loader resolves account ids: first as a Segment id
recorded in ``external_ids`` (system ``segment``), then as a canonical ``account_id``, then
as any system's external id when that is unambiguous. A group call for an id nothing knows
creates the account (``account_id`` = ``groupId``) and records the id as Segment's.

A trait fills a column only where source precedence lets Segment replace the stored value
(by default not a value a file set; :mod:`outsidein.precedence`) and, over a value a file
set, only when the write key has the ``master-data`` scope; the column's
``field_sources`` entry then names the write key and the call's time. Traits that fail the
checks of a file row never get here (:mod:`.traits` rejects them).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from outsidein.ingest.provenance import (
    Write,
    new_sources_sql,
    old_sources_sql,
    update_assignments,
)
from outsidein.precedence import PrecedenceConfig
from outsidein.store.tables import CONTACT_ROLES, TABLES

__all__ = [
    "create_group_accounts",
    "refresh_accounts",
    "refresh_contacts",
    "resolve_groups",
    "store_traits",
]

_ROLES = ", ".join(f"'{role}'" for role in CONTACT_ROLES)


def _text(trait: str) -> str:
    return f"max(value ->> '$') FILTER (WHERE trait = '{trait}')"


def _meta(name: str, *traits: str) -> str:
    """``NAME_src`` and ``NAME_at``: the key and time of the latest of ``traits``."""
    among = ", ".join(f"'{t}'" for t in traits)
    return (
        f"arg_max(source, timestamp) FILTER (WHERE trait IN ({among})) AS {name}_src, "
        f"max(timestamp) FILTER (WHERE trait IN ({among})) AS {name}_at"
    )


def _writes(alias: str, *fields: str) -> dict[str, Write]:
    return {f: Write(f"{alias}.{f}", f"{alias}.{f}_src", f"{alias}.{f}_at") for f in fields}


def _timestamp(expr: str) -> str:
    """A trait as a timestamp, or NULL when it is not one or lies beyond the future cutoff."""
    ts = f"TRY_CAST(TRY_CAST({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"CASE WHEN {ts} <= getvariable('seg_cutoff') THEN {ts} END"


def resolve_groups(cur: duckdb.DuckDBPyConnection, gids_sql: str, into: str) -> None:
    """``into`` (gid, account_id): each group id of ``gids_sql`` (a ``SELECT gid``) resolved."""
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {into} AS
        WITH ids AS (SELECT DISTINCT gid FROM ({gids_sql}) WHERE gid IS NOT NULL),
        any_system AS (
            SELECT external_id, any_value(account_id) AS account_id FROM external_ids
            WHERE external_id IN (SELECT gid FROM ids)
            GROUP BY external_id HAVING count(DISTINCT account_id) = 1)
        SELECT ids.gid, coalesce(xs.account_id, a.account_id, xa.account_id) AS account_id
        FROM ids
        LEFT JOIN external_ids xs ON xs.system = 'segment' AND xs.external_id = ids.gid
        LEFT JOIN accounts a ON a.account_id = ids.gid
        LEFT JOIN any_system xa ON xa.external_id = ids.gid
        """
    )


def create_group_accounts(cur: duckdb.DuckDBPyConnection) -> None:
    """Give group calls for unknown ids an account of that id; ``_seg_new_groups`` lists them.

    The accounts rows themselves are written by :func:`refresh_accounts`, from the traits.
    """
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _seg_new_groups AS
        SELECT m.group_id AS gid, 'segment:' || arg_min(m.key_id, m.seq) AS source
        FROM _seg_m m JOIN _seg_gid g ON g.gid = m.group_id
        WHERE m.type = 'group' AND g.account_id IS NULL
        GROUP BY m.group_id
        """
    )
    cur.execute(
        "UPDATE _seg_gid SET account_id = gid WHERE gid IN (SELECT gid FROM _seg_new_groups)"
    )
    cur.execute(
        "INSERT INTO external_ids SELECT 'segment', gid, gid, source, getvariable('seg_now') "
        "FROM _seg_new_groups ON CONFLICT DO NOTHING"
    )


def store_traits(cur: duckdb.DuckDBPyConnection, kind: str, entities_sql: str) -> None:
    """Upsert the traits of ``entities_sql`` (entity_id, timestamp, seq, key_id, payload).

    Traits listed in ``_seg_bad_traits`` (rejected by :func:`.traits.check_traits`) are left out.
    """
    cur.execute(
        f"""
        INSERT INTO segment_traits
        SELECT '{kind}', e.entity_id, j.key,
               arg_max(j.value, (e.timestamp, e.seq)), max(e.timestamp),
               'segment:' || arg_max(e.key_id, (e.timestamp, e.seq)), getvariable('seg_now')
        FROM ({entities_sql}) e, json_each(e.payload) j
        WHERE e.entity_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM _seg_bad_traits b WHERE b.seq = e.seq AND b.trait = j.key)
        GROUP BY e.entity_id, j.key
        ON CONFLICT (kind, entity_id, trait) DO UPDATE SET value = excluded.value,
            timestamp = excluded.timestamp, source = excluded.source,
            loaded_at = excluded.loaded_at
        WHERE excluded.timestamp >= segment_traits.timestamp
        """
    )


def refresh_accounts(
    cur: duckdb.DuckDBPyConnection, precedence: PrecedenceConfig, master_data: Sequence[str] = ()
) -> None:
    """Write the accounts of this cycle's group calls from their traits.

    Existing accounts (from a CRM file, say) keep every column no trait speaks about, every
    column whose value precedence protects from Segment, and every value a file set unless
    the key that sent the trait is one of ``master_data`` (sources with that scope).
    """
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _seg_acct AS
        WITH touched AS (
            SELECT g.account_id, min(m.timestamp) AS first_seen,
                   'segment:' || arg_max(m.key_id, m.seq) AS source
            FROM _seg_m m JOIN _seg_gid g ON g.gid = m.group_id
            WHERE m.type = 'group' GROUP BY g.account_id),
        traits AS (
            SELECT entity_id, {_text("name")} AS name, {_text("industry")} AS industry,
                   {_text("segment")} AS segment, {_text("region")} AS region,
                   {_text("employees")} AS employees, {_text("createdAt")} AS created,
                   {_meta("name", "name")}, {_meta("industry", "industry")},
                   {_meta("segment", "segment")}, {_meta("region", "region")},
                   {_meta("employees", "employees")}, {_meta("created_at", "createdAt")}
            FROM segment_traits
            WHERE kind = 'group' AND entity_id IN (SELECT account_id FROM touched)
            GROUP BY entity_id)
        SELECT t.account_id, t.first_seen, t.source, r.* EXCLUDE (entity_id, employees, created),
               CASE WHEN TRY_CAST(TRY_CAST(r.employees AS DOUBLE) AS INTEGER) >= 0
                    THEN TRY_CAST(TRY_CAST(r.employees AS DOUBLE) AS INTEGER) END AS employees,
               {_timestamp("r.created")} AS created_at
        FROM touched t LEFT JOIN traits r ON r.entity_id = t.account_id
        """
    )
    writes = _writes("a", "name", "industry", "segment", "region", "employees", "created_at")
    accounts = TABLES["accounts"]
    assignments = update_assignments(
        accounts, "accounts", writes, precedence, "a._old_fs", master_data
    )
    cur.execute(
        f"UPDATE accounts SET {assignments}, source = a.source, "
        "loaded_at = getvariable('seg_now') "
        f"FROM (SELECT a.*, {old_sources_sql(accounts, 'x')} AS _old_fs FROM _seg_acct a "
        "JOIN accounts x ON x.account_id = a.account_id) a "
        "WHERE accounts.account_id = a.account_id"
    )
    # A new account is named by its group id and dated by its first call, failing traits.
    writes["name"] = Write(
        "coalesce(a.name, a.account_id)", "coalesce(a.name_src, a.source)",
        "coalesce(a.name_at, a.first_seen)",
    )  # fmt: skip
    writes["created_at"] = Write(
        "coalesce(a.created_at, a.first_seen)", "coalesce(a.created_at_src, a.source)",
        "coalesce(a.created_at_at, a.first_seen)",
    )  # fmt: skip
    columns = ", ".join(writes)
    values = ", ".join(w.value for w in writes.values())
    cur.execute(
        f"""
        INSERT INTO accounts (account_id, {columns}, source, loaded_at, field_sources)
        SELECT a.account_id, {values}, a.source, getvariable('seg_now'),
               {new_sources_sql(writes)}
        FROM _seg_acct a ANTI JOIN accounts x ON x.account_id = a.account_id
        """
    )


def refresh_contacts(
    cur: duckdb.DuckDBPyConnection, precedence: PrecedenceConfig, master_data: Sequence[str] = ()
) -> None:
    """Write the contacts of identified users whose traits or account changed this cycle.

    A user becomes a contact once both are known: traits (an identify call) and an account
    (a group call or ``context.groupId``), in whichever order they arrive. An existing
    contact keeps what precedence protects from Segment, its account included, and what a
    file set unless the key is one of ``master_data``.
    """
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _seg_people AS
        WITH touched AS (
            SELECT uid FROM _seg_dirty UNION SELECT uid FROM _seg_m WHERE type = 'identify'),
        traits AS (
            SELECT entity_id AS uid, {_text("name")} AS name, {_text("firstName")} AS first,
                   {_text("lastName")} AS last, {_text("email")} AS email,
                   {_text("title")} AS title, {_text("role")} AS role,
                   {_text("createdAt")} AS created, arg_max(source, timestamp) AS source,
                   {_meta("full", "name")}, {_meta("parts", "firstName", "lastName")},
                   {_meta("email", "email")}, {_meta("title", "title")},
                   {_meta("role", "role")}, {_meta("created_at", "createdAt")}
            FROM segment_traits
            WHERE kind = 'user' AND entity_id IN (SELECT uid FROM touched)
            GROUP BY entity_id)
        SELECT t.uid AS contact_id, l.account_id, l.source AS account_id_src,
               l.timestamp AS account_id_at,
               coalesce(t.name, nullif(concat_ws(' ', t.first, t.last), '')) AS name,
               CASE WHEN t.name IS NOT NULL THEN t.full_src ELSE t.parts_src END AS name_src,
               CASE WHEN t.name IS NOT NULL THEN t.full_at ELSE t.parts_at END AS name_at,
               t.email, t.email_src, t.email_at, t.title, t.title_src, t.title_at,
               CASE WHEN lower(replace(replace(trim(t.role), ' ', '_'), '-', '_'))
                         IN ({_ROLES})
                    THEN lower(replace(replace(trim(t.role), ' ', '_'), '-', '_')) END AS role,
               t.role_src, t.role_at,
               {_timestamp("t.created")} AS created_at, t.created_at_src, t.created_at_at,
               t.source
        FROM traits t JOIN segment_user_accounts l ON l.user_id = t.uid
        """
    )
    writes = _writes("p", "account_id", "name", "email", "role", "title", "created_at")
    contacts = TABLES["contacts"]
    assignments = update_assignments(
        contacts, "contacts", writes, precedence, "p._old_fs", master_data
    )
    cur.execute(
        f"UPDATE contacts SET {assignments}, source = p.source, "
        "loaded_at = getvariable('seg_now') "
        f"FROM (SELECT p.*, {old_sources_sql(contacts, 'x')} AS _old_fs FROM _seg_people p "
        "JOIN contacts x ON x.contact_id = p.contact_id) p "
        "WHERE contacts.contact_id = p.contact_id"
    )
    columns = ", ".join(writes)
    values = ", ".join(w.value for w in writes.values())
    cur.execute(
        f"""
        INSERT INTO contacts (contact_id, {columns}, source, loaded_at, field_sources)
        SELECT p.contact_id, {values}, p.source, getvariable('seg_now'),
               {new_sources_sql(writes)}
        FROM _seg_people p ANTI JOIN contacts x ON x.contact_id = p.contact_id
        """
    )
