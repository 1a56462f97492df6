"""Traits get the checks a file row gets; a bad one is rejected, the rest of the call applies.

A ``group`` call's traits that fill account columns, and an ``identify`` call's that fill
contact columns, are validated by the same SQL as a file's rows
(:func:`outsidein.ingest.validate.validation_sql`, from the table specs): ``employees`` must
be a whole number of at least 0, ``role`` one of the contact roles, ``createdAt`` a
timestamp not in the future. A trait that fails is not stored; it goes to ``rejects`` like a
rejected event (``file`` = ``segment:KEY_ID``, ``load_id`` = the request, ``column`` =
``traits.NAME``), with no line (the batch index is not kept once a call is accepted) and the
call's messageId in the reason. The call was accepted, so its HTTP answer was 200.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pyarrow as pa

from outsidein.ingest.validate import DateBounds, literal, validation_sql
from outsidein.store.tables import TABLES, Table

__all__ = ["GROUP_TRAITS", "USER_TRAITS", "check_traits"]

# trait -> the column it fills, for each call type that carries traits.
GROUP_TRAITS = {
    "name": "name",
    "industry": "industry",
    "segment": "segment",
    "region": "region",
    "employees": "employees",
    "createdAt": "created_at",
}
USER_TRAITS = {
    "name": "name",
    "email": "email",
    "title": "title",
    "role": "role",
    "createdAt": "created_at",
}
_CALLS = (("group", "accounts", GROUP_TRAITS), ("identify", "contacts", USER_TRAITS))


def _checked_columns(table: str, traits: dict[str, str]) -> Table:
    """The columns traits fill, with the checks of a file row but for presence and references.

    A call need not repeat every trait, and its ids are resolved by the applier itself.
    """
    spec = TABLES[table]
    columns = tuple(
        replace(spec.column(col), required=False, references=None) for col in traits.values()
    )
    return Table(spec.name, spec.key, columns)


def check_traits(
    cur: duckdb.DuckDBPyConnection, bounds: DateBounds, *, groups: int, identifies: int
) -> int:
    """Reject this cycle's bad traits; ``_seg_bad_traits`` (seq, trait) lists them.

    Needs ``_seg_m`` (the cycle's messages, of which ``groups`` group and ``identifies``
    identify calls). Returns how many traits were rejected.
    """
    cur.execute("CREATE OR REPLACE TEMP TABLE _seg_bad_traits (seq BIGINT, trait VARCHAR)")
    for call, table, traits in _CALLS:
        if not (groups if call == "group" else identifies):
            continue
        raws = ", ".join(
            f"payload ->> {literal('$.' + trait)} AS {col}" for trait, col in traits.items()
        )
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _seg_trait_raw AS SELECT seq AS _line, {raws} "
            f"FROM _seg_m WHERE type = {literal(call)} AND payload IS NOT NULL"
        )
        spec = _checked_columns(table, traits)
        sql = validation_sql(
            spec,
            {col: col for col in traits.values()},
            {col: pa.string() for col in traits.values()},
            "_seg_trait_raw",
            bounds,
            hints=False,  # the fixes name options of a file load
        )
        trait_of = " ".join(
            f"WHEN {literal(col)} THEN {literal(trait)}" for trait, col in traits.items()
        )
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _seg_trait_errs AS "
            f"SELECT _line AS seq, CASE e.col {trait_of} END AS trait, e.val, e.reason "
            f"FROM (SELECT _line, unnest(errs) AS e FROM ({sql}) WHERE errs IS NOT NULL)"
        )
        cur.execute("INSERT INTO _seg_bad_traits SELECT seq, trait FROM _seg_trait_errs")
        cur.execute(
            f"""
            INSERT INTO rejects
            SELECT m.request_id, 'segment.' || m.type, 'segment:' || m.key_id, NULL,
                   'traits.' || e.trait, e.val,
                   e.reason || ' (messageId ' || m.message_id || '; the {call} call''s other '
                   || 'traits were applied)',
                   getvariable('seg_now')
            FROM _seg_trait_errs e JOIN _seg_m m ON m.seq = e.seq
            """
        )
    if not (groups or identifies):
        return 0
    rejected = cur.execute("SELECT count(*) FROM _seg_bad_traits").fetchall()
    return int(rejected[0][0]) if rejected else 0
