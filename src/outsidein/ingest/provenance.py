"""Field sources as SQL: what both write paths (file loads, the Segment applier) share.

Which source set each value of an account or contact, and when, is kept sparsely: the row's
own ``source`` and ``loaded_at`` (its latest write) stand for every field that write set, and
``field_sources`` (a JSON object ``{"<field>": {"source": ..., "set_at": ...}}``) holds only
the fields whose value came from elsewhere. A file load of new rows therefore writes no JSON
at all; a write that changes a row first pins, for the fields it leaves as they were, the
source the row stood for until then. A field holding NULL has no source.

Whether a write may replace a stored value is :mod:`outsidein.precedence`'s rule, turned
here into SQL conditions over the stored row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from outsidein.ingest.validate import ident, literal
from outsidein.precedence import SOURCE_KINDS, PrecedenceConfig, SourceKind
from outsidein.store.tables import Table

__all__ = [
    "Write",
    "file_write_sql",
    "kind_sql",
    "new_sources_sql",
    "update_assignments",
]


def kind_sql(source: str) -> str:
    """The kind of a ``source`` expression (twin of :func:`outsidein.precedence.source_kind`)."""
    return f"CASE WHEN {source} LIKE 'segment:%' THEN 'segment' ELSE 'file' END"


def _stored_kind(alias: str, field: str) -> str:
    """The kind that set ``alias.field``: its own entry, else the row's source."""
    return kind_sql(f"coalesce({alias}.field_sources ->> '$.{field}.source', {alias}.source)")


def _entry(source: str, at: str) -> str:
    return f"json_object('source', {source}, 'set_at', {at})"


def _pinned(value: str, sources: str, field: str, source: str, at: str) -> str:
    """The entry a field holding ``value`` keeps when a write changes its row but not it.

    ``sources`` is the row's ``field_sources``; ``source`` and ``at`` the row's own, which
    the field stood for (and which the write is about to replace).
    """
    return (
        f"CASE WHEN {value} IS NOT NULL THEN coalesce("
        f"{sources} -> '$.{field}', {_entry(source, at)}) END"
    )


def _kinds(kinds: tuple[SourceKind, ...]) -> str:
    return ", ".join(literal(k) for k in kinds)


def _guard(
    writer: SourceKind, precedence: PrecedenceConfig, table: str, field: str, alias: str
) -> str | None:
    """SQL true where ``writer`` may replace the value stored in ``alias.field`` (None: always)."""
    kinds = precedence.overwritable(writer, table, field)
    if set(kinds) == set(SOURCE_KINDS):
        return None
    return f"({alias}.{ident(field)} IS NULL OR {_stored_kind(alias, field)} IN ({_kinds(kinds)}))"


def _patch(old: str, pairs: list[str]) -> str:
    """``old`` with ``pairs`` (key, entry or NULL to drop) applied; NULL when left empty."""
    patched = f"json_merge_patch(coalesce({old}, '{{}}'), json_object({', '.join(pairs)}))"
    return f"CASE WHEN {patched}::VARCHAR <> '{{}}' THEN {patched} END"


def file_write_sql(table: Table, precedence: PrecedenceConfig, ready: str, into: str) -> str:
    """CREATE ``into``: the rows of ``ready`` that change the store, with ``field_sources``.

    A file replaces a stored value unless another kind that outranks files for the field set
    it, and a blank in the file never erases a value that another kind set (a CRM export
    without an ``employees`` column keeps the employees the product reported). The fields
    the file sets take the row's source; new rows need no entries.
    """
    name, key = ident(table.name), ident(table.key)
    fields = [c for c in table.column_names if c != table.key]
    effective, olds, changes, pairs = [], [], [], []
    for field in fields:
        col, old = ident(field), ident("_old." + field)
        keep = f"(r.{col} IS NULL AND {_stored_kind('t', field)} <> 'file')"
        guard = _guard("file", precedence, table.name, field, "t")
        if guard is not None:
            keep = f"({keep} OR NOT {guard})"
        effective.append(
            f"CASE WHEN t.{col} IS NOT NULL AND {keep} THEN t.{col} ELSE r.{col} END AS {col}"
        )
        olds.append(f"t.{col} AS {old}")
        changed = f"{col} IS DISTINCT FROM {old}"
        changes.append(changed)
        kept = _pinned(old, "m.field_sources", field, "m._old_source", "m._old_loaded_at")
        pairs.append(f"{literal(field)}, CASE WHEN NOT ({changed}) THEN {kept} END")
    return (
        f"CREATE OR REPLACE TEMP TABLE {into} AS "
        f"WITH m AS (SELECT r.* REPLACE ({', '.join(effective)}), {', '.join(olds)}, "
        f"t.field_sources, t.source AS _old_source, t.loaded_at AS _old_loaded_at, "
        f"t.{key} IS NULL AS is_new FROM {ready} r LEFT JOIN {name} t ON t.{key} = r.{key}) "
        f"SELECT m.* EXCLUDE ({', '.join(ident('_old.' + f) for f in fields)}, "
        f"field_sources, _old_source, _old_loaded_at), "
        f"CASE WHEN NOT is_new THEN {_patch('m.field_sources', pairs)} END AS field_sources "
        f"FROM m WHERE is_new OR {' OR '.join(changes)}"
    )


@dataclass(frozen=True)
class Write:
    """A value a Segment call offers for a field: the value, its source and its time."""

    value: str
    source: str
    at: str


def update_assignments(
    table: Table, target: str, writes: Mapping[str, Write], precedence: PrecedenceConfig
) -> str:
    """The SET list of an UPDATE of ``target`` by Segment, but for ``source``/``loaded_at``.

    A value is written where it is not NULL and precedence lets Segment replace what is
    stored; its entry changes where the value does. Every other field keeps its source,
    pinned in ``field_sources`` since the row's own source is about to change.
    """
    sets, pairs = [], []
    for field in (c for c in table.column_names if c != table.key):
        col = ident(field)
        kept = _pinned(
            f"{target}.{col}",
            f"{target}.field_sources",
            field,
            f"{target}.source",
            f"{target}.loaded_at",
        )
        w = writes.get(field)
        if w is None:
            pairs.append(f"{literal(field)}, {kept}")
            continue
        condition = f"{w.value} IS NOT NULL"
        guard = _guard("segment", precedence, table.name, field, target)
        if guard is not None:
            condition += f" AND {guard}"
        sets.append(f"{col} = CASE WHEN {condition} THEN {w.value} ELSE {target}.{col} END")
        pairs.append(
            f"{literal(field)}, CASE WHEN {condition} AND {w.value} IS DISTINCT FROM "
            f"{target}.{col} THEN {_entry(w.source, w.at)} ELSE {kept} END"
        )
    sets.append(f"field_sources = {_patch(f'{target}.field_sources', pairs)}")
    return ", ".join(sets)


def new_sources_sql(writes: Mapping[str, Write]) -> str:
    """``field_sources`` of a row Segment creates: an entry for every field given a value."""
    pairs = [
        f"{literal(field)}, CASE WHEN {w.value} IS NOT NULL THEN {_entry(w.source, w.at)} END"
        for field, w in writes.items()
    ]
    return _patch("NULL", pairs)
