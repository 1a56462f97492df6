"""Who a message is from: aliases, anonymous ids, and each user's account.

``segment_identities`` maps any id a person was known by to their canonical user id, kept
flat (every target is itself canonical) so one join resolves an id. It grows from explicit
``alias`` calls, which merge two identities, and from messages carrying both an
``anonymousId`` and a ``userId`` (the first user to claim an anonymous id keeps it).

``segment_user_accounts`` is the user -> account link: the latest ``group`` call or
``context.groupId`` by event time, so links arriving out of order never regress.

Every function works on the applier's temporary tables of the current cycle (``_seg_b``:
the inbox rows taken; ``_seg_m``: the same with the canonical ``uid``) and records users
whose identity or link changed in ``_seg_dirty``, so that their waiting events are looked
at again.
"""

from __future__ import annotations

import duckdb

__all__ = [
    "canonicalize",
    "link_users",
    "map_anonymous_ids",
    "merge_aliases",
]

_CANON = "coalesce((SELECT user_id FROM segment_identities WHERE alias_id = ?), ?)"


def merge_aliases(cur: duckdb.DuckDBPyConnection) -> int:
    """Apply this cycle's ``alias`` calls in arrival order; return how many merged anything.

    Aliases are rare (sign-up, account merges), so each is applied on its own; what is
    expensive (re-attributing stored events) is done once for all of them.
    """
    aliases = cur.execute(
        "SELECT previous_id, user_id, timestamp, 'segment:' || key_id FROM _seg_b "
        "WHERE type = 'alias' ORDER BY seq"
    ).fetchall()
    cur.execute("CREATE OR REPLACE TEMP TABLE _seg_merged (old_id VARCHAR, new_id VARCHAR)")
    merged = 0
    for previous, user, at, source in aliases:
        target = cur.execute(f"SELECT {_CANON}", [user, user]).fetchall()[0][0]
        old = cur.execute(f"SELECT {_CANON}", [previous, previous]).fetchall()[0][0]
        if old == target:
            continue
        merged += 1
        pair = {"old": old, "target": target}
        # Everything that resolved to `old` now resolves to `target`, and so does `old`.
        cur.execute("UPDATE segment_identities SET user_id = $target WHERE user_id = $old", pair)
        cur.execute(
            "INSERT INTO segment_identities VALUES ($old, $target, $at, $src, "
            "getvariable('seg_now')) ON CONFLICT (alias_id) DO UPDATE SET "
            "user_id = excluded.user_id, timestamp = excluded.timestamp, "
            "source = excluded.source, loaded_at = excluded.loaded_at",
            {**pair, "at": at, "src": source},
        )
        # The merged user keeps the newer link and the newer value of each trait.
        cur.execute(
            "INSERT INTO segment_user_accounts SELECT $target, account_id, timestamp, source, "
            "loaded_at FROM segment_user_accounts WHERE user_id = $old "
            "ON CONFLICT (user_id) DO UPDATE SET account_id = excluded.account_id, "
            "timestamp = excluded.timestamp, source = excluded.source, loaded_at = "
            "excluded.loaded_at WHERE excluded.timestamp > segment_user_accounts.timestamp",
            pair,
        )
        cur.execute("DELETE FROM segment_user_accounts WHERE user_id = $old", {"old": old})
        cur.execute(
            "INSERT INTO segment_traits SELECT kind, $target, trait, value, timestamp, source, "
            "loaded_at FROM segment_traits WHERE kind = 'user' AND entity_id = $old "
            "ON CONFLICT (kind, entity_id, trait) DO UPDATE SET value = excluded.value, "
            "timestamp = excluded.timestamp, source = excluded.source, loaded_at = "
            "excluded.loaded_at WHERE excluded.timestamp > segment_traits.timestamp",
            pair,
        )
        cur.execute(
            "DELETE FROM segment_traits WHERE kind = 'user' AND entity_id = $old", {"old": old}
        )
        cur.execute(
            "DELETE FROM contacts WHERE contact_id = $old AND source LIKE 'segment:%'",
            {"old": old},
        )
        cur.execute("UPDATE _seg_merged SET new_id = $target WHERE new_id = $old", pair)
        cur.execute("INSERT INTO _seg_merged VALUES ($old, $target)", pair)
        cur.execute("INSERT INTO _seg_dirty VALUES ($target)", {"target": target})
    if merged:
        # One pass over the stored events for all merges of this cycle.
        cur.execute(
            "UPDATE events SET user_id = m.new_id FROM _seg_merged m "
            "WHERE events.user_id = m.old_id AND events.source LIKE 'segment:%'"
        )
    return merged


def map_anonymous_ids(cur: duckdb.DuckDBPyConnection) -> None:
    """Messages with both ids tie the anonymous id to the user (first claim wins)."""
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _seg_anon AS
        SELECT b.anonymous_id AS alias_id,
               arg_min(coalesce(i.user_id, b.user_id), b.seq) AS user_id,
               min(b.timestamp) AS timestamp,
               'segment:' || arg_min(b.key_id, b.seq) AS source
        FROM _seg_b b LEFT JOIN segment_identities i ON i.alias_id = b.user_id
        WHERE b.type <> 'alias' AND b.anonymous_id IS NOT NULL AND b.user_id IS NOT NULL
          AND b.anonymous_id <> b.user_id
        GROUP BY b.anonymous_id
        """
    )
    _insert_anonymous(cur)


def _insert_anonymous(cur: duckdb.DuckDBPyConnection) -> None:
    new = cur.execute(
        "INSERT INTO segment_identities SELECT alias_id, user_id, timestamp, source, "
        "getvariable('seg_now') FROM _seg_anon WHERE alias_id <> user_id "
        "ON CONFLICT DO NOTHING RETURNING alias_id, user_id"
    ).fetchall()
    if not new:
        return
    cur.execute("CREATE OR REPLACE TEMP TABLE _seg_anon_new (alias_id VARCHAR, user_id VARCHAR)")
    cur.executemany("INSERT INTO _seg_anon_new VALUES (?, ?)", new)
    # Keep the map flat: ids that resolved to a now-claimed anonymous id follow it.
    cur.execute(
        "UPDATE segment_identities SET user_id = n.user_id FROM _seg_anon_new n "
        "WHERE segment_identities.user_id = n.alias_id"
    )
    cur.execute("INSERT INTO _seg_dirty SELECT DISTINCT user_id FROM _seg_anon_new")


def canonicalize(cur: duckdb.DuckDBPyConnection) -> None:
    """``_seg_m``: this cycle's messages with ``uid``, the canonical id of their sender."""
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _seg_m AS
        SELECT b.*, coalesce(i.user_id, coalesce(b.user_id, b.anonymous_id)) AS uid
        FROM _seg_b b
        LEFT JOIN segment_identities i ON i.alias_id = coalesce(b.user_id, b.anonymous_id)
        WHERE b.type <> 'alias'
        """
    )


def link_users(cur: duckdb.DuckDBPyConnection) -> None:
    """Link users to accounts from group calls and resolvable ``context.groupId``.

    Needs ``_seg_gid`` (group id -> account id) from
    :func:`outsidein.ingest.segment.entities.resolve_groups`.
    """
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _seg_links AS
        SELECT m.uid AS user_id,
               arg_max(g.account_id, m.timestamp) AS account_id,
               max(m.timestamp) AS timestamp,
               'segment:' || arg_max(m.key_id, m.timestamp) AS source
        FROM _seg_m m
        JOIN _seg_gid g
          ON g.gid = CASE WHEN m.type = 'group' THEN m.group_id ELSE m.context_group_id END
        WHERE g.account_id IS NOT NULL
        GROUP BY m.uid
        """
    )
    cur.execute(
        "INSERT INTO _seg_dirty SELECT user_id FROM _seg_links l WHERE NOT EXISTS ("
        "SELECT 1 FROM segment_user_accounts s WHERE s.user_id = l.user_id "
        "AND s.account_id = l.account_id)"
    )
    cur.execute(
        "INSERT INTO segment_user_accounts SELECT user_id, account_id, timestamp, source, "
        "getvariable('seg_now') FROM _seg_links ON CONFLICT (user_id) DO UPDATE SET "
        "account_id = excluded.account_id, timestamp = excluded.timestamp, "
        "source = excluded.source, loaded_at = excluded.loaded_at "
        "WHERE excluded.timestamp >= segment_user_accounts.timestamp"
    )
