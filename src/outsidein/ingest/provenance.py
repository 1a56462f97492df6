"""Field sources as SQL: what both write paths (file loads, the Segment applier) share.

Which source set each value of an account or contact, and when, is kept sparsely: the row's
own ``source`` and ``loaded_at`` (its latest write) stand for every field that write set;
``field_sources``, a JSON object ``{"<field>": {"source": ..., "set_at": ...}}``, has entries
(not null) only for the fields whose value came from another write. A file load of new rows
therefore writes no JSON at all; a write that changes a row first pins, for the fields it
leaves as they were, the source the row stood for until then. NULL values have no source.

Whether a write may replace a stored value is :mod:`outsidein.precedence`'s rule, turned
here into SQL conditions over the stored row.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from outsidein.ingest.validate import ident, literal
from outsidein.precedence import SOURCE_KINDS, PrecedenceConfig, SourceKind
from outsidein.store.tables import Table

__all__ = [
    "Write",
    "file_write_sql",
    "kind_sql",
    "new_sources_sql",
    "old_sources_sql",
    "update_assignments",
]

_ENTRY = "STRUCT(source VARCHAR, set_at TIMESTAMP)"


def kind_sql(source: str) -> str:
    """The kind of a ``source`` expression (twin of :func:`outsidein.precedence.source_kind`)."""
    return f"CASE WHEN {source} LIKE 'segment:%' THEN 'segment' ELSE 'file' END"


def _fields(table: Table) -> list[str]:
    return [c for c in table.column_names if c != table.key]


def _stored_kind(alias: str, field: str) -> str:
    """The kind that set ``alias.field``: its own entry, else the row's source."""
    return kind_sql(f"coalesce({alias}.field_sources ->> '$.{field}.source', {alias}.source)")


def _entry(source: str, at: str) -> str:
    return f"struct_pack(source := {source}, set_at := {at})::{_ENTRY}"


def old_sources_sql(table: Table, alias: str) -> str:
    """``alias.field_sources`` parsed once into a struct of entries (one per field)."""
    structure = json.dumps(
        {f: {"source": "VARCHAR", "set_at": "TIMESTAMP"} for f in _fields(table)}
    )
    return f"json_transform({alias}.field_sources, {literal(structure)})"


def _pinned(value: str, old: str, field: str, source: str, at: str) -> str:
    """The entry a field holding ``value`` keeps when a write changes its row but not it.

    ``old`` is the row's parsed ``field_sources`` (:func:`old_sources_sql`); ``source`` and
    ``at`` the row's own, which the field stood for (and which the write will replace).
    """
    return (
        f"CASE WHEN {value} IS NOT NULL THEN coalesce("
        f"struct_extract({old}, {literal(field)}), {_entry(source, at)}) END"
    )


def _sources_json(entries: Mapping[str, str]) -> str:
    """``field_sources`` from one entry expression (or NULL) per field; NULL when all are.

    Built as one struct and serialised once: a JSON function per field would cost more than
    the rest of the write.
    """
    packed = ", ".join(f"{ident(f)} := {e}" for f, e in entries.items())
    return (
        f"CASE WHEN coalesce({', '.join(entries.values())}) IS NOT NULL "
        f"THEN to_json(struct_pack({packed})) END"
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


def _scope_guard(alias: str, field: str, source: str, master_data: Sequence[str]) -> str:
    """SQL true where a write from ``source`` may replace ``alias.field`` by its key's scope."""
    allowed = [f"{alias}.{ident(field)} IS NULL", f"{_stored_kind(alias, field)} <> 'file'"]
    if master_data:
        allowed.append(f"{source} IN ({', '.join(literal(s) for s in master_data)})")
    return f"({' OR '.join(allowed)})"


def file_write_sql(
    table: Table,
    precedence: PrecedenceConfig,
    ready: str,
    into: str,
    absent: Collection[str] = (),
) -> str:
    """CREATE ``into``: the rows of ``ready`` that change the store, with ``field_sources``.

    A file replaces a stored value unless another kind that outranks files for the field set
    it, and a blank in the file never erases a value that another kind set (a CRM export
    without an ``employees`` column keeps the employees the product reported). The fields
    the file sets take the row's source; new rows need no entries. The fields in
    ``absent`` (columns a file linked to stored rows by a declared key does not have) keep
    any stored value: another system's file says nothing about them.
    """
    name, key = ident(table.name), ident(table.key)
    fields = _fields(table)
    effective, olds, changes, entries = [], [], [], {}
    for field in fields:
        col, old = ident(field), ident("_old." + field)
        keep = (
            f"r.{col} IS NULL"
            if field in absent
            else f"(r.{col} IS NULL AND {_stored_kind('t', field)} <> 'file')"
        )
        guard = _guard("file", precedence, table.name, field, "t")
        if guard is not None:
            keep = f"({keep} OR NOT {guard})"
        effective.append(
            f"CASE WHEN t.{col} IS NOT NULL AND {keep} THEN t.{col} ELSE r.{col} END AS {col}"
        )
        olds.append(f"t.{col} AS {old}")
        changed = f"{col} IS DISTINCT FROM {old}"
        changes.append(changed)
        kept = _pinned(old, "m._old_fs", field, "m._old_source", "m._old_loaded_at")
        entries[field] = f"CASE WHEN NOT ({changed}) THEN {kept} END"
    dropped = ", ".join([*(ident("_old." + f) for f in fields), "_old_fs", "_old_source"])
    return (
        f"CREATE OR REPLACE TEMP TABLE {into} AS "
        f"WITH m AS (SELECT r.* REPLACE ({', '.join(effective)}), {', '.join(olds)}, "
        f"{old_sources_sql(table, 't')} AS _old_fs, t.source AS _old_source, "
        f"t.loaded_at AS _old_loaded_at, t.{key} IS NULL AS is_new "
        f"FROM {ready} r LEFT JOIN {name} t ON t.{key} = r.{key}) "
        f"SELECT m.* EXCLUDE ({dropped}, _old_loaded_at), "
        f"CASE WHEN NOT is_new THEN {_sources_json(entries)} END AS field_sources "
        f"FROM m WHERE is_new OR {' OR '.join(changes)}"
    )


@dataclass(frozen=True)
class Write:
    """A value a Segment call offers for a field: the value, its source and its time."""

    value: str
    source: str
    at: str


def update_assignments(
    table: Table,
    target: str,
    writes: Mapping[str, Write],
    precedence: PrecedenceConfig,
    old: str,
    master_data: Sequence[str] = (),
) -> str:
    """The SET list of an UPDATE of ``target`` by Segment, but for ``source``/``loaded_at``.

    ``old`` is the target row's parsed ``field_sources`` (:func:`old_sources_sql`). A value
    is written where it is not NULL, precedence lets Segment replace what is stored, and,
    when a file set it, the write key that sent it has the ``master-data`` scope (its source
    is in ``master_data``): a key without it never changes master data loaded from files,
    whatever precedence says. Its entry changes where the value does. Every other field
    keeps its source, pinned since the row's own source is about to change.
    """
    sets, entries = [], {}
    for field in _fields(table):
        col = ident(field)
        kept = _pinned(f"{target}.{col}", old, field, f"{target}.source", f"{target}.loaded_at")
        w = writes.get(field)
        if w is None:
            entries[field] = kept
            continue
        condition = f"{w.value} IS NOT NULL"
        guard = _guard("segment", precedence, table.name, field, target)
        if guard is not None:
            condition += f" AND {guard}"
        condition += f" AND {_scope_guard(target, field, w.source, master_data)}"
        sets.append(f"{col} = CASE WHEN {condition} THEN {w.value} ELSE {target}.{col} END")
        entries[field] = (
            f"CASE WHEN {condition} AND {w.value} IS DISTINCT FROM {target}.{col} "
            f"THEN {_entry(w.source, w.at)} ELSE {kept} END"
        )
    sets.append(f"field_sources = {_sources_json(entries)}")
    return ", ".join(sets)


def new_sources_sql(writes: Mapping[str, Write]) -> str:
    """``field_sources`` of a row Segment creates: an entry for every field given a value."""
    return _sources_json(
        {
            field: f"CASE WHEN {w.value} IS NOT NULL THEN {_entry(w.source, w.at)} END"
            for field, w in writes.items()
        }
    )
