"""Groups become accounts and identified users become contacts, through their traits.

Every trait is kept in ``segment_traits``, one row per (group or user, trait), the newest by
event time winning: traits are never lost, and a call arriving late never overwrites a
newer value. The canonical ``accounts`` and ``contacts`` columns are then derived from the
traits of whatever this cycle touched, so they follow the same rule.

A ``groupId`` is resolved like the file loader resolves account ids: first as a Segment id
recorded in ``external_ids`` (system ``segment``), then as a canonical ``account_id``, then
as any system's external id when that is unambiguous. A group call for an id nothing knows
creates the account (``account_id`` = ``groupId``) and records the id as Segment's.
"""

from __future__ import annotations

import duckdb

from outsidein.store.tables import CONTACT_ROLES

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


def _timestamp(expr: str) -> str:
    """A trait as a timestamp, or NULL when it is not one or lies in the future."""
    ts = f"TRY_CAST(TRY_CAST({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"
    return f"CASE WHEN {ts} <= getvariable('seg_now') THEN {ts} END"


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
    """Upsert the traits of ``entities_sql`` (entity_id, timestamp, seq, key_id, payload)."""
    cur.execute(
        f"""
        INSERT INTO segment_traits
        SELECT '{kind}', e.entity_id, j.key,
               arg_max(j.value, (e.timestamp, e.seq)), max(e.timestamp),
               'segment:' || arg_max(e.key_id, (e.timestamp, e.seq)), getvariable('seg_now')
        FROM ({entities_sql}) e, json_each(e.payload) j
        WHERE e.entity_id IS NOT NULL
        GROUP BY e.entity_id, j.key
        ON CONFLICT (kind, entity_id, trait) DO UPDATE SET value = excluded.value,
            timestamp = excluded.timestamp, source = excluded.source,
            loaded_at = excluded.loaded_at
        WHERE excluded.timestamp >= segment_traits.timestamp
        """
    )


def refresh_accounts(cur: duckdb.DuckDBPyConnection) -> None:
    """Write the accounts of this cycle's group calls from their traits.

    Existing accounts (from a CRM file, say) keep every column no trait speaks about.
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
                   {_text("employees")} AS employees, {_text("createdAt")} AS created
            FROM segment_traits
            WHERE kind = 'group' AND entity_id IN (SELECT account_id FROM touched)
            GROUP BY entity_id)
        SELECT t.account_id, t.first_seen, t.source, r.name, r.industry, r.segment, r.region,
               CASE WHEN TRY_CAST(TRY_CAST(r.employees AS DOUBLE) AS INTEGER) >= 0
                    THEN TRY_CAST(TRY_CAST(r.employees AS DOUBLE) AS INTEGER) END AS employees,
               {_timestamp("r.created")} AS created_at
        FROM touched t LEFT JOIN traits r ON r.entity_id = t.account_id
        """
    )
    cur.execute(
        """
        UPDATE accounts SET name = coalesce(a.name, accounts.name),
            industry = coalesce(a.industry, accounts.industry),
            segment = coalesce(a.segment, accounts.segment),
            region = coalesce(a.region, accounts.region),
            employees = coalesce(a.employees, accounts.employees),
            created_at = coalesce(a.created_at, accounts.created_at),
            source = a.source, loaded_at = getvariable('seg_now')
        FROM _seg_acct a WHERE accounts.account_id = a.account_id
        """
    )
    cur.execute(
        """
        INSERT INTO accounts (account_id, name, industry, segment, region, employees,
                              created_at, source, loaded_at)
        SELECT a.account_id, coalesce(a.name, a.account_id), a.industry, a.segment, a.region,
               a.employees, coalesce(a.created_at, a.first_seen), a.source,
               getvariable('seg_now')
        FROM _seg_acct a ANTI JOIN accounts x ON x.account_id = a.account_id
        """
    )


def refresh_contacts(cur: duckdb.DuckDBPyConnection) -> None:
    """Write the contacts of identified users whose traits or account changed this cycle.

    A user becomes a contact once both are known: traits (an identify call) and an account
    (a group call or ``context.groupId``), in whichever order they arrive.
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
                   {_text("createdAt")} AS created, arg_max(source, timestamp) AS source
            FROM segment_traits
            WHERE kind = 'user' AND entity_id IN (SELECT uid FROM touched)
            GROUP BY entity_id)
        SELECT t.uid AS contact_id, l.account_id,
               coalesce(t.name, nullif(concat_ws(' ', t.first, t.last), '')) AS name,
               t.email, t.title,
               CASE WHEN lower(replace(replace(trim(t.role), ' ', '_'), '-', '_'))
                         IN ({_ROLES})
                    THEN lower(replace(replace(trim(t.role), ' ', '_'), '-', '_')) END AS role,
               {_timestamp("t.created")} AS created_at, t.source
        FROM traits t JOIN segment_user_accounts l ON l.user_id = t.uid
        """
    )
    cur.execute(
        """
        INSERT INTO contacts (contact_id, account_id, name, email, role, title, created_at,
                              source, loaded_at)
        SELECT contact_id, account_id, name, email, role, title, created_at, source,
               getvariable('seg_now')
        FROM _seg_people
        ON CONFLICT (contact_id) DO UPDATE SET account_id = excluded.account_id,
            name = coalesce(excluded.name, contacts.name),
            email = coalesce(excluded.email, contacts.email),
            role = coalesce(excluded.role, contacts.role),
            title = coalesce(excluded.title, contacts.title),
            created_at = coalesce(excluded.created_at, contacts.created_at),
            source = excluded.source, loaded_at = excluded.loaded_at
        """
    )
