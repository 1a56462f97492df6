"""Compile a :class:`LoadSpec` against a file's columns into a plan of SQL over its rows.

The SQL holds quoted identifiers and ``getvariable('oi_tN')`` only: every literal a user
wrote (a constant, a value map, a condition's value, a factor) is bound with ``SET
VARIABLE oi_tN = ?`` before any row is read (:meth:`Plan.bind`). Everything is checked
here, before the first row loads; errors name the option and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa

from outsidein.errors import LoadError
from outsidein.ingest.dates import DateFormat
from outsidein.ingest.keys import key_sql
from outsidein.ingest.mapping import EXTERNAL_ID_PREFIX
from outsidein.ingest.resolve import normalize_name
from outsidein.ingest.transforms.conditions import (
    All,
    Any_,
    Compare,
    Condition,
    Derivation,
    Empty,
    InList,
    Literal,
    Not,
    TextTest,
    columns_of,
    parse_condition,
    parse_derivation,
)
from outsidein.ingest.transforms.options import parse_scale
from outsidein.ingest.validate import ident
from outsidein.settings.load import LoadSpec
from outsidein.store.tables import Table

__all__ = ["CUSTOM_PREFIX", "Plan", "compile_plan"]

CUSTOM_PREFIX = "custom:"
CUSTOM_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Params:
    """The literals of a plan, each bound as a DuckDB variable."""

    values: dict[str, object] = field(default_factory=dict)
    days: Mapping[str, DateFormat] = field(default_factory=dict)  # column -> its date format
    dated: set[str] = field(default_factory=set)  # columns compared with a date

    def add(self, value: object, cast: str = "") -> str:
        name = f"oi_t{len(self.values)}"
        self.values[name] = value
        return f"getvariable('{name}')" + (f"::{cast}" if cast else "")


@dataclass
class Plan:
    """What to run over each part of a file; ``trivial`` plans read the file as it is."""

    trivial: bool
    mapping: dict[str, str]
    names: list[str] | None = None
    types: dict[str, pa.DataType] | None = None
    select: list[str] = field(default_factory=list)
    where: str | None = None
    group_by: str | None = None
    sums: list[str] = field(default_factory=list)
    params: Params = field(default_factory=Params)
    referenced: set[str] = field(default_factory=set)
    shadowed: list[str] = field(default_factory=list)  # file columns a target replaced
    origins: dict[str, str] = field(default_factory=dict)  # target -> the file column it is

    @property
    def dated(self) -> set[str]:
        """The file columns that conditions compare with a date."""
        return self.params.dated

    def bind(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bind every literal (as a parameter, never as SQL text)."""
        for name, value in self.params.values.items():
            con.execute(f"SET VARIABLE {name} = ?", [value])

    def row_sql(self, relation: str) -> str:
        """The transformed rows of ``relation`` (kept by ``--where``)."""
        where = f" WHERE {self.where}" if self.where else ""
        return f"SELECT _line, {', '.join(self.select)} FROM {relation}{where}"

    def dropped_sql(self, relation: str) -> str:
        """How many rows of ``relation`` ``--where`` leaves out."""
        return f"SELECT count(*) FROM {relation} WHERE NOT ({self.where})"

    def group_sql(self, lines: str) -> str:
        """One row per ``group_by`` value: ``sums`` added up, the rest from the first line.

        A sum over a value that is not a number gives that value (the first such line's),
        so validation rejects the row naming it instead of adding less than the file says.
        A row with no key stays alone, to be rejected with its own line.
        """
        assert self.group_by is not None and self.names is not None
        key = ident(self.group_by)
        outputs = ["min(_line) AS _line"]
        for name in self.names:
            col = ident(name)
            if name == self.group_by:
                outputs.append(col)
            elif name in self.sums:
                text = f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"
                bad = f"{text} IS NOT NULL AND TRY_CAST({text} AS DECIMAL(38, 6)) IS NULL"
                outputs.append(
                    f"coalesce(arg_min({text}, _line) FILTER (WHERE {bad}), "
                    f"CAST(sum(TRY_CAST({text} AS DECIMAL(38, 6))) AS VARCHAR)) AS {col}"
                )
            else:
                outputs.append(f"arg_min({col}, _line) AS {col}")
        return (
            f"SELECT {', '.join(outputs)} FROM {lines} "
            f"GROUP BY {key}, CASE WHEN {key} IS NULL THEN _line END"
        )


def _text(column: str) -> str:
    return f"NULLIF(trim(CAST({ident(column)} AS VARCHAR)), '')"


def condition_sql(cond: Condition, params: Params) -> str:
    """SQL of a condition over file columns; always true or false, never NULL."""
    if isinstance(cond, All | Any_):
        joiner = " AND " if isinstance(cond, All) else " OR "
        return "(" + joiner.join(condition_sql(p, params) for p in cond.parts) + ")"
    if isinstance(cond, Not):
        return f"(NOT {condition_sql(cond.part, params)})"
    text = _text(cond.column)
    if isinstance(cond, Empty):
        return f"({text} IS {'NOT ' if cond.negated else ''}NULL)"
    if isinstance(cond, TextTest):
        func = {"contains": "contains", "starts_with": "prefix", "ends_with": "suffix"}[cond.test]
        sql = f"{func}(lower({text}), lower({params.add(cond.value.text, 'VARCHAR')}))"
    elif isinstance(cond, InList):
        listed = ", ".join(f"lower({params.add(v.text, 'VARCHAR')})" for v in cond.values)
        sql = f"lower({text}) IN ({listed})"
    else:
        sql = _compare_sql(cond, text, params)
    sql = f"coalesce({sql}, false)"
    return f"(NOT {sql})" if getattr(cond, "negated", False) else sql


def _compare_sql(cond: Compare, text: str, params: Params) -> str:
    value: Literal = cond.value
    op = "IS DISTINCT FROM" if cond.op == "!=" else cond.op
    if value.kind == "number":
        return f"TRY_CAST({text} AS DOUBLE) {op} {params.add(float(value.text), 'DOUBLE')}"
    fmt = params.days.get(cond.column)
    read = fmt.timestamp_sql(text) if fmt and fmt.patterns else f"TRY_CAST({text} AS TIMESTAMP)"
    day = f"TRY_CAST({read} AS DATE)"
    if value.kind == "today" or _ISO_DATE.fullmatch(value.text):
        params.dated.add(cond.column)
    if value.kind == "today":
        return f"{day} {op} current_date"
    if _ISO_DATE.fullmatch(value.text):
        try:
            return f"{day} {op} {params.add(date.fromisoformat(value.text), 'DATE')}"
        except ValueError:
            pass
    return f"lower({text}) {op} lower({params.add(value.text, 'VARCHAR')})"


def _derive_sql(rule: Derivation, params: Params) -> str:
    whens = " ".join(
        f"WHEN {condition_sql(cond, params)} THEN {params.add(value.text, 'VARCHAR')}"
        for value, cond in rule.cases
    )
    otherwise = params.add(rule.otherwise.text, "VARCHAR") if rule.otherwise else "NULL"
    return f"CASE {whens} ELSE {otherwise} END" if whens else otherwise


def _values_sql(expr: str, table: Mapping[str, str], exact: bool, params: Params) -> str:
    """Map each value through ``table``; ``*`` is every other value, else it stays."""
    subject = expr if exact else f"lower(trim({expr}))"
    whens = []
    for before, after in table.items():
        if before == "*":
            continue
        key = params.add(before, "VARCHAR")
        key = key if exact else f"lower(trim({key}))"
        whens.append(f"WHEN {subject} = {key} THEN {params.add(after, 'VARCHAR')}")
    otherwise = params.add(table["*"], "VARCHAR") if "*" in table else expr
    return f"NULLIF(CASE WHEN {expr} IS NULL THEN NULL {' '.join(whens)} ELSE {otherwise} END, '')"


def _scale_sql(expr: str, factors: list[str]) -> str:
    """Numbers multiplied by ``factors``; anything else is left for validation to reject
    with its value."""
    number = f"TRY_CAST({expr} AS DOUBLE)"
    product = " * ".join([number, *factors])
    return f"CASE WHEN {number} IS NULL THEN {expr} ELSE CAST(round({product}, 6) AS VARCHAR) END"


def _targets_of(targets: str | list[str]) -> list[str]:
    return [targets] if isinstance(targets, str) else list(targets)


def _check_target(target: str, option: str, table: Table, where: str) -> None:
    if target.startswith(EXTERNAL_ID_PREFIX):
        return  # checked with the other columns (accounts only)
    if target.startswith(CUSTOM_PREFIX):
        name = target.removeprefix(CUSTOM_PREFIX)
        if not CUSTOM_NAME.fullmatch(name):
            raise LoadError(
                f"{where}: {option}: custom field names are lower case letters, digits and _ "
                f"(custom:plan_tier), not {name!r}"
            )
        return
    if target not in table.column_names:
        raise LoadError(
            f"{where}: {option}: {target!r} is not a column of {table.name}; one of: "
            f"{', '.join(table.column_names)}, ext:SYSTEM or custom:NAME"
        )


def compile_plan(
    spec: LoadSpec,
    mapping: Mapping[str, str],
    names: list[str],
    types: Mapping[str, pa.DataType],
    table: Table,
    where: str,
    days: Mapping[str, DateFormat] | None = None,
) -> Plan:
    """Check ``spec`` (and the plain ``mapping``) against a file's columns; plan its SQL.

    ``where`` names the file in errors. ``days`` are the date formats of the columns that
    conditions compare with a date (``end_date < today``; :attr:`Plan.dated` lists them).
    A spec of plain one-to-one maps gives a trivial plan: the file is read as it is, with
    the maps as its column mapping.
    """
    maps: list[tuple[str, str]] = list(mapping.items())
    maps += [(s, t) for s, ts in spec.map.items() for t in _targets_of(ts)]
    plain = {s: t for s, t in maps}
    only_maps = spec.model_copy(update={"map": {}, "keep_extra": None}) == LoadSpec()
    if (
        only_maps
        and len(plain) == len(maps)
        and not any(t.startswith(CUSTOM_PREFIX) for t in plain.values())
    ):
        return Plan(trivial=True, mapping=plain)

    def column(name: str, option: str) -> str:
        if name not in names:
            raise LoadError(
                f"{where}: {option}: the file has no column {name!r}; its columns are: "
                f"{', '.join(names)}"
            )
        return name

    params = Params(days=dict(days or {}))
    origins: dict[str, str] = {}
    producers: dict[str, tuple[str, str]] = {}  # target -> (option, SQL)
    referenced: set[str] = set()
    consumed: set[str] = set()

    def produce(target: str, option: str, sql: str) -> None:
        _check_target(target, option, table, where)
        if target in producers:
            raise LoadError(
                f"{where}: {target} is given a value twice: by {producers[target][0]} and by "
                f"{option}; keep one"
            )
        producers[target] = (option, sql)

    for source, target in maps:
        consumed.add(column(source, f"--map {source}={target}"))
        origins[target] = source
        produce(target, f"--map {source}={target}", ident(source))
    for target, sources in spec.coalesce.items():
        option = f"--coalesce {target}={','.join(sources)}"
        parts = [_text(column(s, option)) for s in sources]
        consumed.update(sources)
        produce(target, option, f"coalesce({', '.join(parts)})")
    for target, value in spec.set.items():
        produce(target, f"--set {target}={value}", f"NULLIF({params.add(value, 'VARCHAR')}, '')")
    for target, text in spec.derive.items():
        option = f"--derive {target}={text}"
        rule = parse_derivation(text, option)
        for _, cond in rule.cases:
            referenced.update(column(c, option) for c in columns_of(cond))
        produce(target, option, _derive_sql(rule, params))
    if spec.key_from:
        option = f"--key-from {','.join(spec.key_from)}"
        referenced.update(column(c, option) for c in spec.key_from)
        produce(table.key, option, key_sql(spec.key_from))

    conditions = []
    for text in spec.where:
        cond = parse_condition(text, f"--where {text!r}")
        referenced.update(column(c, f"--where {text!r}") for c in columns_of(cond))
        conditions.append(condition_sql(cond, params))

    by_normal = {normalize_name(n): n for n in reversed(names)}
    for target in [*spec.values, *spec.scale]:
        if target not in producers:  # a column that matches the target by name
            option = f"--values/--scale {target}"
            found = by_normal.get(normalize_name(target))
            if found is None:
                raise LoadError(
                    f"{where}: {option}: nothing gives {target} a value; map a column to it "
                    f"(--map COLUMN={target})"
                )
            consumed.add(found)
            origins[target] = found
            produce(target, f"the column {found!r}", ident(found))
    select: list[str] = []
    out_types: dict[str, pa.DataType] = {}
    for target, (option, sql) in producers.items():
        typed = option.startswith(("--map", "the column")) and (
            target not in spec.values and target not in spec.scale
        )
        if not typed and option.startswith(("--map", "the column")):
            sql = f"NULLIF(trim(CAST({sql} AS VARCHAR)), '')"
        if target in spec.values:
            sql = _values_sql(sql, spec.values[target], spec.values_case_sensitive, params)
        scales = spec.scale.get(target)
        factors = []
        for scale in scales if isinstance(scales, list) else [] if scales is None else [scales]:
            option = f"--scale {target}={scale}"
            factor, only = parse_scale(scale, option)
            bound = params.add(factor, "DOUBLE")
            if only is None:
                factors.append(bound)
            else:
                referenced.update(column(c, option) for c in columns_of(only))
                factors.append(f"(CASE WHEN {condition_sql(only, params)} THEN {bound} ELSE 1 END)")
        if factors:
            sql = _scale_sql(sql, factors)
        source_type = types.get(sql.strip('"').replace('""', '"')) if typed else None
        out_types[target] = source_type or pa.string()
        select.append(f"{sql} AS {ident(target)}")
    taken = {normalize_name(t) for t in producers}
    shadowed = []
    for name in names:
        if name in consumed or name == "_line":
            continue
        if normalize_name(name) in taken:
            shadowed.append(name)
            continue
        select.append(f"{ident(name)} AS {ident(name)}")
        out_types[name] = types.get(name, pa.string())
    if spec.group_by is not None and spec.group_by not in out_types:
        raise LoadError(
            f"{where}: --group-by {spec.group_by}: no such column after the maps; one of: "
            f"{', '.join(out_types)}"
        )
    for name in spec.sum:
        if name not in out_types:
            raise LoadError(f"{where}: --sum {name}: no such column after the maps")
        if spec.group_by is None:
            raise LoadError(f"{where}: --sum {name} needs --group-by KEY")
        out_types[name] = pa.string()
    return Plan(
        trivial=False,
        mapping={t: t for t in producers if not t.startswith(CUSTOM_PREFIX)},
        names=list(out_types),
        types=out_types,
        select=select,
        where=" AND ".join(conditions) or None,
        group_by=spec.group_by,
        sums=list(spec.sum),
        params=params,
        referenced=referenced | consumed,
        shadowed=shadowed,
        origins=origins,
    )
