"""Score every account of an inputs table with the configured scorecards, all at once.

``score(inputs, health)`` takes one row per account (``account_id`` and one column per input:
docs/health.md lists them) and returns :class:`Scores`: per account the scorecard that applied,
the score 0-100 (null when no measure had an input) and its band; and the long table of
contributions, one row per account and measure, from which every explanation is read. The
work is NumPy over whole columns: one pass per measure and group, never a loop per account.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from outsidein.errors import OutsideInError
from outsidein.expr import Catalogue, Expression, ExpressionError, Type, compile_expression
from outsidein.expr.nodes import fields
from outsidein.expr.vector import Column, arrow_type, column_from_arrow, evaluate
from outsidein.health import rollup, scoring
from outsidein.health.parents import roll_up_parents
from outsidein.settings.health import Group, HealthConfig, Measure, Scorecard

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Mask = NDArray[np.bool_]

CONTRIBUTION_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("scorecard", pa.string()),
        ("measure", pa.string()),
        ("raw", pa.float64()),
        ("points", pa.float64()),
        ("weight", pa.float64()),
        ("contribution", pa.float64()),
        ("missing", pa.bool_()),
        ("set_score", pa.bool_()),
    ]
)


class HealthInputsError(OutsideInError):
    """The inputs table cannot be scored with these scorecards (a column is missing, ...)."""

    code = "invalid_health_inputs"
    http_status = 422
    exit_code = 2


@dataclass(frozen=True)
class MeasureInfo:
    """What the explanation needs to put a measure into words."""

    scorecard: str
    path: str
    label: str
    direction: str
    rollup: str  # the roll-up of the group the measure is in


@dataclass(frozen=True)
class Scores:
    """Scores per account and the contributions that make them up."""

    accounts: pa.Table  # account_id, scorecard, score, band[, rollup_score, descendants]
    contributions: pa.Table  # CONTRIBUTION_SCHEMA, one row per account and measure
    measures: dict[tuple[str, str], MeasureInfo] = field(default_factory=dict)


@dataclass
class _Leaf:
    path: str
    raw: F64  # NaN where missing or not a number input
    points: F64  # NaN where skipped
    missing: Mask
    weight: F64 | None = None
    set_score: Mask | None = None


@dataclass
class _Card:
    """One scorecard applied to its rows: compiled expressions and the columns they read."""

    name: str
    card: Scorecard
    columns: dict[str, Column]
    catalogue: Catalogue
    rows: int
    leaves: list[_Leaf] = field(default_factory=list)
    factors: dict[str, F64] = field(default_factory=dict)

    def compile(self, text: str, want: Type, where: str, extra: bool = False) -> Expression:
        catalogue = self.catalogue.with_fields({"value": Type.NUMBER}) if extra else self.catalogue
        try:
            return compile_expression(text, catalogue, want=want)
        except ExpressionError as exc:
            raise HealthInputsError(f"{where}: {exc.message}", path=where) from exc

    def column(self, name: str, where: str) -> Column:
        if name not in self.columns:
            raise HealthInputsError(
                f"{where}: the inputs have no column `{name}`", path=where, column=name
            )
        return self.columns[name]

    def raw(self, measure: Measure, where: str) -> Column | None:
        column = measure.column()
        if column is not None:
            found = self.column(column, where)
            if self.catalogue.type_of(column) not in (Type.NUMBER, Type.NULL):
                raise HealthInputsError(f"{where}: `{column}` is not a number", path=where)
            return found
        if measure.expr is not None:
            expression = self.compile(measure.expr, Type.NUMBER, where)
            return self.evaluate(expression)
        return None

    def evaluate(self, expression: Expression, extra: Column | None = None) -> Column:
        names = fields(expression.tree)
        columns = {n: self.column(n, expression.text) for n in names if n != "value"}
        if extra is not None:
            columns["value"] = extra
        return evaluate(expression, columns=columns, rows=self.rows)

    def measure(self, measure: Measure, path: str) -> F64:
        where = f"{self.name}/{path}"
        raw_col = self.raw(measure, where)
        if raw_col is not None:
            raw = np.where(raw_col.valid, raw_col.values.astype(np.float64), np.nan)
        else:
            raw = np.full(self.rows, np.nan)
        rule = measure.scoring
        if rule.kind == "linear":
            points = scoring.linear(raw, rule, measure.direction)
        elif rule.kind == "bands":
            points = scoring.bands(raw, rule)
        else:
            held = []
            for i, condition in enumerate(rule.conditions):
                expression = self.compile(condition.when, Type.BOOL, f"{where}/when[{i}]", True)
                col = self.evaluate(expression, raw_col)
                held.append((col.values.astype(bool), col.valid, condition.points))
            points = scoring.conditions(rule.base, held)
            if raw_col is not None:  # with an input, missing means the input is missing
                points = np.where(raw_col.valid, np.nan_to_num(points, nan=rule.base), np.nan)
        missing = np.isnan(points)
        mode = measure.missing if measure.missing is not None else self.card.missing
        if mode != "skip":
            points = np.where(missing, float(mode), points)
        self.leaves.append(_Leaf(path, raw, points, missing))
        return points

    def group(self, group: Group, prefix: str) -> F64:
        names, scores, weights = [], [], []
        # In name order, as the store's sorted copy of the configuration has them: a worst-of
        # tie goes to the same child whichever copy is scored.
        for name, child in sorted(group.groups.items()):
            names.append(f"{prefix}{name}")
            scores.append(self.group(child, f"{prefix}{name}/"))
            weights.append(child.weight)
        for name, measure in sorted(group.measures.items()):
            names.append(f"{prefix}{name}")
            scores.append(self.measure(measure, f"{prefix}{name}"))
            weights.append(measure.weight)
        score, factors = rollup.combine(
            group.rollup, np.column_stack(scores), np.asarray(weights, dtype=np.float64)
        )
        for j, name in enumerate(names):
            self.factors[name] = factors[:, j]
        return score

    def weights(
        self, group: Group, prefix: str, above: F64, decisive: Mask, under_worst: bool
    ) -> None:
        """Multiply factors down the tree: each measure's effective weight, and whether every
        worst-of group above it chose its branch (the measure that set the score)."""
        leaves = {leaf.path: leaf for leaf in self.leaves}
        worst = group.rollup == "worst"
        for name, child in group.groups.items():
            path = f"{prefix}{name}"
            factor = self.factors[path]
            chosen = decisive & (factor == 1.0) if worst else decisive
            self.weights(child, f"{path}/", above * factor, chosen, under_worst or worst)
        for name in group.measures:
            path = f"{prefix}{name}"
            factor = self.factors[path]
            leaf = leaves[path]
            leaf.weight = above * factor
            chosen = decisive & (factor == 1.0) if worst else decisive
            leaf.set_score = chosen & (under_worst or worst) & ~np.isnan(leaf.points)


def _catalogue(inputs: pa.Table) -> Catalogue:
    types: dict[str, Type] = {}
    for name, t in zip(inputs.schema.names, inputs.schema.types, strict=True):
        found = arrow_type(t)
        if found is not None:
            types[name] = found
    return Catalogue(types)


def _assign(inputs: pa.Table, health: HealthConfig, columns: dict[str, Column]) -> I64:
    """Index (in ``health.scorecards``) of the card each row gets: first rule that holds."""
    names = list(health.scorecards)
    n = inputs.num_rows
    out = np.full(n, -1, dtype=np.int64)
    catalogue = _catalogue(inputs)
    for k, rule in enumerate(health.assign):
        card = health.scorecards[rule.scorecard]
        probe = _Card(rule.scorecard, card, columns, catalogue, n)
        expression = probe.compile(rule.when, Type.BOOL, f"assign[{k}]")
        held = probe.evaluate(expression)
        out[(out < 0) & held.valid & held.values.astype(bool)] = names.index(rule.scorecard)
    out[out < 0] = names.index(health.default_scorecard)
    return out


def _band(score: F64, card: Scorecard) -> pa.Array:
    bounds = np.asarray([b.below for b in card.bands[:-1]], dtype=np.float64)
    index = np.searchsorted(bounds, score, side="right")
    labels = pa.array([b.label for b in card.bands])
    index_arr = pa.array(np.clip(index, 0, len(card.bands) - 1), mask=np.isnan(score))
    return labels.take(index_arr)


def _needed(health: HealthConfig) -> set[str]:
    """Every input column some scorecard reads (to convert each once)."""
    from outsidein.expr import parse

    out: set[str] = set()

    def walk(group: Group) -> None:
        for child in group.groups.values():
            walk(child)
        for measure in group.measures.values():
            if (column := measure.column()) is not None:
                out.add(column)
            if measure.expr is not None:
                out.update(fields(parse(measure.expr)))
            if measure.scoring.kind == "conditions":
                for c in measure.scoring.conditions:
                    out.update(fields(parse(c.when)) - {"value"})

    for card in health.scorecards.values():
        walk(card)
    for rule in health.assign:
        out.update(fields(parse(rule.when)))
    return out


def score(inputs: pa.Table, health: HealthConfig) -> Scores:
    """Score every row of ``inputs`` (one per account) with the scorecards of ``health``."""
    if "account_id" not in inputs.schema.names:
        raise HealthInputsError("the inputs have no column `account_id`")
    needed = _needed(health) & set(inputs.schema.names)
    columns = {name: column_from_arrow(inputs.column(name))[0] for name in sorted(needed)}
    catalogue = _catalogue(inputs)
    assigned = _assign(inputs, health, columns)
    ids = inputs.column("account_id").combine_chunks().cast(pa.string())
    n = inputs.num_rows
    scores = np.full(n, np.nan)
    bands: list[pa.Array] = []
    band_rows: list[I64] = []
    parts: list[pa.Table] = []
    infos: dict[tuple[str, str], MeasureInfo] = {}
    for i, (name, card) in enumerate(health.scorecards.items()):
        rows = np.flatnonzero(assigned == i)
        if rows.size == 0:
            continue
        sub = {k: Column(c.values[rows], c.valid[rows]) for k, c in columns.items()}
        work = _Card(name, card, sub, catalogue, int(rows.size))
        total = work.group(card, "")
        # An account none of whose measures had an input has no score, defaults or not.
        known = ~np.logical_and.reduce([leaf.missing for leaf in work.leaves])
        total = np.where(known, total, np.nan)
        work.weights(card, "", known.astype(np.float64), known, False)
        scores[rows] = total
        bands.append(_band(total, card))
        band_rows.append(rows)
        parts.append(_contributions(ids.take(pa.array(rows)), name, work.leaves))
        infos.update(_infos(name, card))
    band = _scatter_bands(bands, band_rows, n)
    accounts = pa.table(
        {
            "account_id": ids,
            "scorecard": pa.array(list(health.scorecards)).take(pa.array(assigned)),
            "score": pa.array(scores, mask=np.isnan(scores)),
            "band": band,
        }
    )
    if health.parent_rollup != "none" and "parent_account_id" in inputs.schema.names:
        accounts = roll_up_parents(accounts, inputs, health.parent_rollup)
    contributions = pa.concat_tables(parts) if parts else CONTRIBUTION_SCHEMA.empty_table()
    return Scores(accounts, contributions, infos)


def _scatter_bands(bands: list[pa.Array], rows: list[I64], n: int) -> pa.Array:
    if not bands:
        return pa.nulls(n, pa.string())
    order = np.argsort(np.concatenate(rows), kind="stable")
    return pa.concat_arrays(bands).take(pa.array(order))


def _contributions(ids: pa.Array, card: str, leaves: list[_Leaf]) -> pa.Table:
    m = len(ids)
    k = len(leaves)
    points = np.concatenate([leaf.points for leaf in leaves]) if k else np.zeros(0)
    weight = np.concatenate([leaf.weight for leaf in leaves if leaf.weight is not None])
    raw = np.concatenate([leaf.raw for leaf in leaves])
    contribution = weight * np.nan_to_num(points)
    set_score = np.concatenate([leaf.set_score for leaf in leaves if leaf.set_score is not None])
    paths = pa.array([leaf.path for leaf in leaves]).take(pa.array(np.repeat(np.arange(k), m)))
    return pa.table(
        {
            "account_id": pa.concat_arrays([ids] * k),
            "scorecard": pa.array([card]).take(pa.array(np.zeros(m * k, dtype=np.int32))),
            "measure": paths,
            "raw": pa.array(raw, mask=np.isnan(raw)),
            "points": pa.array(points, mask=np.isnan(points)),
            "weight": weight,
            "contribution": contribution,
            "missing": np.concatenate([leaf.missing for leaf in leaves]),
            "set_score": set_score,
        },
        schema=CONTRIBUTION_SCHEMA,
    )


def _infos(name: str, card: Scorecard) -> dict[tuple[str, str], MeasureInfo]:
    out: dict[tuple[str, str], MeasureInfo] = {}

    def walk(group: Group, prefix: str) -> None:
        for child_name, child in group.groups.items():
            walk(child, f"{prefix}{child_name}/")
        for m_name, measure in group.measures.items():
            path = f"{prefix}{m_name}"
            out[(name, path)] = MeasureInfo(
                name, path, measure.title(m_name), measure.direction, group.rollup
            )

    walk(card, "")
    return out


def measure_infos(health: HealthConfig) -> dict[tuple[str, str], MeasureInfo]:
    """Every measure of every scorecard, for explanations read back from the history."""
    out: dict[tuple[str, str], MeasureInfo] = {}
    for name, card in health.scorecards.items():
        out.update(_infos(name, card))
    return out


__all__ = [
    "CONTRIBUTION_SCHEMA",
    "HealthInputsError",
    "MeasureInfo",
    "Scores",
    "measure_infos",
    "score",
]
