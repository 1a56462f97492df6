"""The built-in field sources: each gathers numbers defined elsewhere, never a second time.

* ``account`` — the account record (segment, region, industry, CSM, employees, ...): today's
  values (the store keeps no history of them);
* ``inputs`` — the daily snapshot's metrics, surveys, cases, MRR/ARR, days to renewal and
  lifecycle status, outcome satisfaction, off-track success plans, and the renewal date:
  :func:`outsidein.health.inputs.inputs_at`, health's own inputs;
* ``contract`` — the first paid date: :func:`outsidein.analytics.lifecycle.account_status`;
* ``health`` — the effective score, band and scorecard at the end of the day and each
  measure's points (``health.<measure>``): :func:`outsidein.health.history.scores_at`;
* ``custom`` — ``custom.<name>``, the account's custom fields
  (:mod:`outsidein.store.custom_fields`).

Importing this module registers them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import duckdb
import pyarrow as pa

from outsidein.analytics.backend import store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.expr import Type
from outsidein.health import inputs as health_inputs
from outsidein.health.engine import measure_infos
from outsidein.health.history import scores_at
from outsidein.predict.fields import PredictSource
from outsidein.segments.fields import Context, FieldDef, register_source
from outsidein.store import custom_fields
from outsidein.tiers.fields import segment_fields

__all__ = ["end_of_day", "identifier"]

_TYPES = {"number": Type.NUMBER, "text": Type.TEXT, "date": Type.DATE, "bool": Type.BOOL}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(text: str) -> str | None:
    """``text`` as a name part filters can write (``-`` becomes ``_``), or None."""
    name = text.replace("-", "_")
    return name if _IDENT.match(name) else None


def end_of_day(as_of: date) -> datetime:
    """The first instant after ``as_of`` (UTC): facts before it are known on the day."""
    return datetime.combine(as_of + timedelta(days=1), time())


class AccountSource:
    """The account record; it also decides which accounts exist on a day (created by then)."""

    name = "account"
    COLUMNS: tuple[tuple[str, Type, str, str], ...] = (
        ("account_id", Type.TEXT, "account_id", "the account's id"),
        ("name", Type.TEXT, "name", "the account's name"),
        ("segment", Type.TEXT, "segment", "the account's segment (enterprise, mid_market, ...)"),
        ("industry", Type.TEXT, "industry", "the account's industry"),
        ("region", Type.TEXT, "region", "the account's region"),
        ("employees", Type.NUMBER, "employees::DOUBLE", "the account's employees"),
        ("csm_id", Type.TEXT, "csm_id", "the account's CSM"),
        ("parent_account_id", Type.TEXT, "parent_account_id", "the account's parent"),
        ("created_at", Type.DATE, "created_at::DATE", "the day the account was created"),
    )

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        return [
            FieldDef(n, t, d, self.name, history=n in ("account_id", "created_at"))
            for n, t, _, d in self.COLUMNS
        ]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        sql = {n: s for n, _, s, _ in self.COLUMNS}
        wanted = [n for n in names if n != "account_id"]
        columns = "".join(f', {sql[n]} AS "{n}"' for n in wanted)
        return con.sql(
            f"SELECT account_id{columns} FROM accounts WHERE created_at < $end ORDER BY account_id",
            params={"end": end_of_day(as_of)},
        ).to_arrow_table()


class InputsSource:
    """Health's inputs as they were on the day: the snapshot's metrics and the rest, and the
    renewal date they count the days to (one lifecycle computation gives both)."""

    name = "inputs"
    SKIP = frozenset({"segment", "parent_account_id"})  # the account source gives them

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        out = [
            FieldDef(f.name, _TYPES[f.type], f.description, self.name, f.unit, f.history)
            for f in health_inputs.FIELDS
            if f.name not in self.SKIP
        ]
        renewal = "the next renewal of a term contract in force (the day + days_to_renewal)"
        return [*out, FieldDef("renewal_date", Type.DATE, renewal, self.name)]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        table = health_inputs.inputs_at(
            con, as_of, config=context.analytics, journey=context.journey
        )
        cur = con.cursor()
        try:
            cur.register("_oi_inputs", table)
            columns = "".join(
                ", CAST(?::DATE + CAST(days_to_renewal AS INTEGER) AS DATE) AS renewal_date"
                if n == "renewal_date"
                else f', "{n}"'
                for n in names
            )
            days = [as_of] if "renewal_date" in names else None
            return cur.sql(
                f"SELECT account_id{columns} FROM _oi_inputs", params=days
            ).to_arrow_table()
        finally:
            cur.close()


class ContractSource:
    """Contract facts of the one lifecycle definition beyond the inputs' (loaded only when a
    filter reads one: it computes the lifecycle again)."""

    name = "contract"
    FIELDS = (("first_paid_date", "the first day the account paid"),)

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        return [FieldDef(n, Type.DATE, d, self.name) for n, d in self.FIELDS]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        status = account_status(store_sources(con), context.analytics, as_of)
        return status.select("account_id", *names).to_pyarrow()


class HealthSource:
    """The effective health score at the end of the day and the points of each measure."""

    name = "health"
    BASE = (
        ("health", Type.NUMBER, "score", "the health score, 0-100 (an override standing in)"),
        ("health_band", Type.TEXT, "band", "the health band (red, amber, green, ...)"),
        ("health_scorecard", Type.TEXT, "scorecard", "the scorecard that scored the account"),
    )

    def measures(self, context: Context) -> dict[str, str]:
        """``health.<measure>`` field -> the measure's path in the contributions."""
        out: dict[str, str] = {}
        for _, path in measure_infos(context.health):
            parts = [identifier(p) for p in path.split("/")]
            if all(parts):
                out.setdefault("health." + ".".join(p for p in parts if p), path)
        return out

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        base = [FieldDef(n, t, d, self.name) for n, t, _, d in self.BASE]
        return base + [
            FieldDef(f, Type.NUMBER, f"points (0-100) of the health measure {p}", self.name)
            for f, p in sorted(self.measures(context).items())
        ]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        cur = con.cursor()
        try:
            cur.register("_oi_health", scores_at(cur, end_of_day(as_of)))
            base = {n: c for n, _, c, _ in self.BASE}
            measures = self.measures(context)
            picked = [m for m in names if m in measures]
            select = [f'h.{base[n]} AS "{n}"' for n in names if n in base]
            select += [f'max(c.points) FILTER (WHERE c.measure = ?) AS "{m}"' for m in picked]
            join = (
                "LEFT JOIN health_contributions c ON c.account_id = h.account_id "
                "AND c.valid_from = h.valid_from"
                if picked
                else ""
            )
            columns = "".join(", " + s for s in select)
            return cur.sql(
                f"SELECT h.account_id{columns} FROM _oi_health h {join} GROUP BY ALL",
                params=[measures[m] for m in picked],
            ).to_arrow_table()
        finally:
            cur.close()


class CustomSource:
    """``custom.<name>``: the account's custom fields (today's values)."""

    name = "custom"
    PREFIX = "custom."

    def known(self, con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
        """``custom.<name>`` -> (stored name, type)."""
        out = {}
        for f in custom_fields.fields(con, "accounts"):
            if (name := identifier(f["name"])) is not None and name == f["name"]:
                out[self.PREFIX + name] = (f["name"], f["type"])
        return out

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        return [
            FieldDef(n, _TYPES.get(t, Type.TEXT), f"custom field {s} of the account", self.name,
                     history=False)
            for n, (s, t) in self.known(con).items()
        ]  # fmt: skip

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        known = self.known(con)
        stored = [known[n][0] for n in names]
        table = custom_fields.values(con, "accounts", stored)
        return table.rename_columns(["account_id", *names])


class AdvocateSource:
    """Whether the account is an advocate candidate on the day (``tier`` is an input of
    health's, above): :func:`outsidein.tiers.segment_fields`, the tiers' one definition."""

    name = "advocates"

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        words = "a healthy promoter with broad adoption on the day (docs/tiers.md)"
        return [FieldDef("advocate", Type.BOOL, words, self.name)]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        return segment_fields(con, as_of, context.advocates).select(["account_id", *names])


for _source in (
    AccountSource(),
    InputsSource(),
    ContractSource(),
    HealthSource(),
    CustomSource(),
    AdvocateSource(),
    PredictSource(),
):
    register_source(_source, replace=True)
