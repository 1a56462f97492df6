"""The words of every reject: what is wrong, what would be valid, and what fixes it.

One place builds the reasons the file loader stores in ``rejects``, so they all read alike::

    not a number; expected a number such as 1234.50 (digits and a dot, no currency symbol);
    fix: clean mrr in the export, or map another column to it with --map

A reason is ``PROBLEM[; expected VALID][; fix: FIX]``. :func:`reason` makes one and
:func:`split` takes one apart again (the pages and ``outsidein rejects`` show the fix on its
own). The options named here are the loader's (``outsidein load --map``, ``--id-system`` ...)
and the keys of ``outsidein.toml``; :data:`SET_OPTION` and :func:`value_map_fix` name the
transforms of issue #18 and are the one place to change if those are spelled differently.
Reasons reach the store as SQL literals (:func:`outsidein.ingest.validate.literal`).
"""

from __future__ import annotations

from collections.abc import Sequence

from outsidein.store.tables import Column, Table

__all__ = [
    "EXPECTED",
    "FIX",
    "bad_type",
    "duplicate_key",
    "fields_count",
    "fraction",
    "invalid_json",
    "missing_column_fix",
    "missing_value",
    "not_allowed",
    "not_an_object",
    "out_of_bounds",
    "out_of_range",
    "problem_only",
    "reason",
    "row_rule",
    "split",
    "unknown_reference",
    "value_map_fix",
]

EXPECTED = "; expected "
FIX = "; fix: "
MAP_OPTION = "--map"
SET_OPTION = "--set"  # a constant for every row (transforms, issue #18)
FORMAT_OPTION = "--format"  # a column's date or number format (formats, issue #18)

_TYPES = {
    "int": ("a whole number", "a whole number such as 12 or 1,200 (no decimals)"),
    "decimal": ("a number", "a number such as 1234.50, $1,234.50 or 1.234,50 €"),
    "double": ("a number", "a number such as 4.5 (digits and a dot)"),
    "date": ("a date (YYYY-MM-DD)", "a date as YYYY-MM-DD, e.g. 2024-05-01"),
    "timestamp": (
        "a timestamp (ISO 8601, e.g. 2024-05-01T09:30:00Z)",
        "ISO 8601, e.g. 2024-05-01T09:30:00Z or 2024-05-01 09:30, with an optional offset",
    ),
    "json": ("valid JSON", 'a JSON value, e.g. {"plan": "growth"}'),
    "bool": (
        "true or false (TRUE/FALSE, yes/no, Y/N, 1/0, t/f)",
        "true/false, yes/no, y/n, t/f or 1/0, any case",
    ),
}


def reason(problem: str, expected: str | None = None, fix: str | None = None) -> str:
    """``PROBLEM[; expected VALID][; fix: FIX]``: the one shape of a reject's reason."""
    text = problem
    if expected:
        text += EXPECTED + expected
    if fix:
        text += FIX + fix
    return text


def problem_only(text: str) -> str:
    """Just what is wrong: where options of a file load do not apply (Segment traits)."""
    return text.partition(EXPECTED)[0].partition(FIX)[0]


def split(text: str) -> tuple[str, str | None]:
    """A stored reason as (what is wrong and what is valid, the fix or None)."""
    problem, sep, fix = text.partition(FIX)
    return (problem, fix) if sep else (text, None)


def value_map_fix(table: str, column: str, example: str) -> str:
    """How to load other spellings of an allowed value: a value map (transforms)."""
    return (
        f"map the file's values onto these with --values {column}:VALUE={example} "
        f'(or [load.{table}.values.{column}] VALUE = "{example}" in outsidein.toml)'
    )


def missing_value(table: Table, col: Column) -> str:
    return reason(
        "required value is missing",
        f"{col.name} on every {table.name} row",
        f"fill it in the export, map another column to it with {MAP_OPTION} "
        f"SOURCE={col.name}, or give every row one with {SET_OPTION} {col.name}=VALUE",
    )


def missing_column_fix(table: Table, missing: Sequence[str]) -> str:
    """The fix of a file without a required column (the whole file is refused)."""
    first = missing[0]
    return (
        f"map the file's column with {MAP_OPTION} SOURCE_COLUMN={first} (or "
        f'[mapping.{table.name}] SOURCE_COLUMN = "{first}" in outsidein.toml), or give every '
        f"row the same value with {SET_OPTION} {first}=VALUE"
    )


def not_allowed(table: Table, col: Column) -> str:
    return reason(
        "not one of the allowed values: " + ", ".join(col.allowed),
        "one of these, in any case, with spaces or dashes for _",
        value_map_fix(table.name, col.name, col.allowed[0]),
    )


def bad_type(table: Table, col: Column) -> str:
    """A value that does not read as the column's type."""
    problem, expected = _TYPES[col.type]
    if col.type in ("date", "timestamp"):
        fix = f"name the column's format with {FORMAT_OPTION} {col.name}=FORMAT, e.g. %m/%d/%Y"
    elif col.type == "bool":
        fix = value_map_fix(table.name, col.name, "true")
    elif col.type == "json":
        fix = f"export {col.name} as JSON text"
    else:
        fix = f"clean {col.name} in the export, or map another column to it with {MAP_OPTION}"
    return reason(f"not {problem}", expected, fix)


def fraction(col: Column) -> str:
    """A number with a fraction where a whole number is needed."""
    return reason(
        "not a whole number",
        f"a whole number such as 12 for {col.name}",
        "round it in the export",
    )


def out_of_range(col: Column, low: bool) -> str:
    """Below ``min_value`` (``low``) or above ``max_value``."""
    bound = col.min_value if low else col.max_value
    assert bound is not None
    words = "at least" if low else "at most"
    allowed = [
        f"at least {col.min_value:g}" if col.min_value is not None else "",
        f"at most {col.max_value:g}" if col.max_value is not None else "",
    ]
    return reason(
        f"must be {words} {bound:g}",
        f"{col.name} {' and '.join(a for a in allowed if a)}",
        "correct the value in the source",
    )


def out_of_bounds(problem: str, allowed: str, key: str) -> str:
    """A date outside the store's bounds: ``key`` is the outsidein.toml setting that moves them."""
    return reason(f"{problem} ({allowed})", None, f"change [store] {key} in outsidein.toml")


def row_rule(text: str) -> str:
    """A rule across columns (tables.py states it, with the valid case)."""
    return reason(text, None, "correct the row in the source")


def same_person(key: str, first_line: int | str) -> str:
    return reason(
        f"the same person as line {first_line}: its {key} matches the same stored contact",
        "one row per person in a file matched on a declared key (the first line is loaded)",
        "remove the repeat, or fix the address if they are two people",
    )


def duplicate_key(key: str, first_line: int | str) -> str:
    return reason(
        f"duplicate key: the same {key} is on line {first_line}",
        f"each {key} once in a file (the first line is loaded)",
        f"remove the repeat, or map the column that identifies a row with {MAP_OPTION} "
        f"SOURCE={key}",
    )


def unknown_reference(col: Column) -> str:
    ref_table = (col.references or ".").split(".")[0]
    singular = ref_table.removesuffix("s")
    if ref_table == "accounts":
        return reason(
            f"unknown {col.name}: no such account in the store or external_ids "
            "(load accounts first)",
            "the id of a loaded account",
            "load the accounts file first; if these are another system's ids, load with "
            "--id-system SYSTEM after mapping them on the accounts file with "
            f"{MAP_OPTION} COLUMN=ext:SYSTEM",
        )
    return reason(
        f"unknown {col.name}: no such {singular} in the store (load {ref_table} first)",
        f"the id of a loaded {singular}",
        f"outsidein load {ref_table} FILE, then load this file again",
    )


def fields_count(expected: int, found: int) -> str:
    return reason(
        f"expected {expected} fields, found {found}",
        f"{expected} fields, as in the header",
        'put a value holding the delimiter in double quotes ("Acme, Inc.")',
    )


def invalid_json(message: str) -> str:
    return reason(f"invalid JSON: {message}", "one JSON object per line", "repair the line")


def not_an_object() -> str:
    return reason(
        "a line must hold a JSON object",
        'one JSON object per line, e.g. {"account_id": "A-1"}',
        "write the record as an object whose keys are the column names",
    )
