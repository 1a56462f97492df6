"""Where the data comes from: the DuckDB store, or a Parquet lake on DuckDB or PySpark.

Every metric takes a :class:`Sources` — the canonical tables as Ibis expressions on one
backend — so the same code runs wherever the tables live. Columns are normalised to
the canonical types here, once, so the metrics never see engine-specific types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from outsidein.analytics.errors import AnalyticsError, BackendUnavailableError

MONEY = dt.Decimal(18, 2)
SPARK_INSTALL = "pip install 'outsidein[spark]'"

# Canonical columns the analytics read, with their types. Optional ones may be absent
# from a lake file and are then null.
COLUMNS: dict[str, dict[str, dt.DataType]] = {
    "accounts": {
        "account_id": dt.string,
        "name": dt.string,
        "segment": dt.string,
        "region": dt.string,
        "industry": dt.string,
        "csm_id": dt.string,
        "created_at": dt.timestamp,
    },
    "subscriptions": {
        "subscription_id": dt.string,
        "account_id": dt.string,
        "plan": dt.string,
        "mrr": MONEY,
        "currency": dt.string,
        "seats": dt.int64,
        "start_date": dt.date,
        "end_date": dt.date,
        "status": dt.string,
        "contract_id": dt.string,
    },
    "contracts": {
        "contract_id": dt.string,
        "account_id": dt.string,
        "term_start": dt.date,
        "term_months": dt.int64,
        "billing_period": dt.string,
        "auto_renew": dt.boolean,
        "cancellation_reason": dt.string,
    },
    "events": {
        "account_id": dt.string,
        "user_id": dt.string,
        "event": dt.string,
        "timestamp": dt.timestamp,
    },
    # Usage exported as counts (one row per account, optional user, feature and day).
    "usage_daily": {
        "account_id": dt.string,
        "user_id": dt.string,
        "feature": dt.string,
        "day": dt.date,
        "count": dt.int64,
    },
}
OPTIONAL = {
    "accounts": {"segment", "region", "industry", "csm_id", "name", "created_at"},
    "subscriptions": {"seats", "status", "contract_id"},
    "contracts": {"auto_renew", "cancellation_reason"},
    "events": set(),
    "usage_daily": {"user_id"},
}
# Kinds a lake may lack: without contracts every subscription is its own (docs/data-model.md);
# without usage_daily all usage is in the events.
OPTIONAL_KINDS = {"contracts", "usage_daily"}
FILTERABLE = ("segment", "region", "industry", "csm_id")


@dataclass(frozen=True)
class Sources:
    """The canonical tables on one backend, optionally narrowed to some accounts."""

    backend: BaseBackend
    accounts: ir.Table
    subscriptions: ir.Table
    events: ir.Table
    contracts: ir.Table
    usage_counts: ir.Table  # usage_daily: counts per account, optional user, feature, day

    @property
    def engine(self) -> str:
        return str(self.backend.name)

    def restrict(self, **where: str | None) -> Sources:
        """Only the accounts whose ``segment``/``region``/``industry``/``csm_id`` match.

        Values match case-insensitively (``Enterprise`` finds ``enterprise``); see
        :func:`outsidein.analytics.filters.check_filters` for refusing unknown values.
        """
        accounts = self.accounts
        for column, value in where.items():
            if column not in FILTERABLE:
                raise AnalyticsError(
                    f"cannot filter accounts by {column!r}; use one of {', '.join(FILTERABLE)}"
                )
            if value is not None:
                accounts = accounts.filter(accounts[column].lower() == value.strip().lower())
        if accounts is self.accounts:
            return self
        ids = accounts.select("account_id")
        return replace(
            self,
            accounts=accounts,
            subscriptions=self.subscriptions.semi_join(ids, "account_id"),
            events=self.events.semi_join(ids, "account_id"),
            contracts=self.contracts.semi_join(ids, "account_id"),
            usage_counts=self.usage_counts.semi_join(ids, "account_id"),
        )


def canonical(table: ir.Table, kind: str, where: str) -> ir.Table:
    """Select and cast the columns the analytics need; name what is missing and where."""
    present = set(table.columns)
    columns: dict[str, ir.Value] = {}
    for name, dtype in COLUMNS[kind].items():
        if name in present:
            columns[name] = table[name].cast(dtype)
        elif name in OPTIONAL[kind]:
            columns[name] = ibis.null(dtype)
        else:
            raise AnalyticsError(
                f"{where}: the {kind} table has no column {name!r} "
                f"(it has {', '.join(sorted(present))})"
            )
    if kind == "usage_daily":  # a row of a subscription whose account is unknown counts nowhere
        return table.filter(table["account_id"].notnull()).select(**columns)
    if kind == "events" and "loaded_at" in present:
        columns["loaded_at"] = table["loaded_at"].cast(dt.timestamp)
    return table.select(**columns)


def store_sources(con: duckdb.DuckDBPyConnection) -> Sources:
    """The canonical tables of an open store connection (the default backend)."""
    backend = ibis.duckdb.from_connection(con)
    tables = {kind: canonical(backend.table(kind), kind, "the store") for kind in COLUMNS}
    return _sources(backend, tables)


def _sources(backend: BaseBackend, tables: dict[str, ir.Table]) -> Sources:
    return Sources(
        backend,
        tables["accounts"],
        tables["subscriptions"],
        tables["events"],
        tables["contracts"],
        tables["usage_daily"],
    )


def _empty(kind: str) -> ir.Table:
    """A kind with no rows, in its canonical types."""
    return ibis.memtable(pa.Table.from_pylist([], schema=ibis.schema(COLUMNS[kind]).to_pyarrow()))


def lake_sources(backend: BaseBackend, lake: str | Path) -> Sources:
    """The canonical tables read from a Parquet lake on any backend with ``read_parquet``.

    A lake holds ``accounts``, ``subscriptions``, ``events`` and optionally ``contracts``
    and ``usage_daily`` (aggregated usage counts), each either a ``KIND.parquet`` file or a
    ``KIND/`` folder of Parquet parts (``outsidein simulate`` writes this layout). Remote
    lakes (``s3a://``, ``hdfs://``, ``abfss://``) must use folders; the engine lists them, a
    remote lake's contracts must be there, and its usage counts are not read (yet).
    """
    tables = {}
    for kind in COLUMNS:
        if kind in OPTIONAL_KINDS and not _in_lake(lake, kind):
            tables[kind] = _empty(kind)
            continue
        location = _lake_location(lake, kind, backend.name)
        try:
            raw = backend.read_parquet(location, table_name=f"lake_{kind}")
        except Exception as exc:  # engines raise their own types for unreadable files
            raise AnalyticsError(f"{location}: cannot read the {kind} Parquet: {exc}") from exc
        tables[kind] = canonical(raw, kind, location)
    return _sources(backend, tables)


def _in_lake(lake: str | Path, kind: str) -> bool:
    """Whether a local lake has ``kind`` (remote lakes are assumed to have every kind)."""
    if "://" in str(lake):
        return kind != "usage_daily"  # remote lakes with usage counts: not listed (yet)
    folder = Path(lake)
    parts = folder / kind
    return (folder / f"{kind}.parquet").is_file() or (
        parts.is_dir() and any(parts.glob("*.parquet"))
    )


def _lake_location(lake: str | Path, kind: str, engine: str) -> str:
    text = str(lake)
    if "://" in text:
        return f"{text.rstrip('/')}/{kind}"
    folder = Path(lake)
    single = folder / f"{kind}.parquet"
    if single.is_file():
        return str(single)
    parts = folder / kind
    if parts.is_dir() and any(parts.glob("*.parquet")):
        # DuckDB reads a glob; Spark reads the folder itself.
        return str(parts) if engine == "pyspark" else str(parts / "*.parquet")
    raise AnalyticsError(
        f"{folder}: no {kind}.parquet file or {kind}/ folder of Parquet parts in this lake"
    )


def duckdb_lake(lake: str | Path, *, memory_limit: str | None = None) -> Sources:
    """A Parquet lake read by an in-memory DuckDB (no store file needed)."""
    config: dict[str, str | bool | int | float | list[str]] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")
    return lake_sources(ibis.duckdb.from_connection(con), lake)


def local_spark(*, cores: int = 2, shuffle_partitions: int = 4, app: str = "outsidein") -> Any:
    """A local-mode SparkSession with settings that suit tests and laptops.

    On a cluster, build the session yourself (or let ``spark-submit`` do it) and pass it to
    :func:`spark_backend`; see docs/metrics.md.
    """
    builder = _spark_builder()
    return (
        builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def spark_backend(session: Any | None = None) -> BaseBackend:
    """An Ibis PySpark backend over ``session`` (default: the active or a new session)."""
    builder = _spark_builder()
    if session is None:
        session = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    elif session.conf.get("spark.sql.session.timeZone") != "UTC":
        raise AnalyticsError(
            "the Spark session must run in UTC (timestamps are stored as naive UTC); "
            "set spark.sql.session.timeZone=UTC"
        )
    backend: BaseBackend = ibis.pyspark.connect(session)
    return backend


def _spark_builder() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise BackendUnavailableError(
            f"PySpark is not installed; install it with: {SPARK_INSTALL}"
        ) from exc
    return SparkSession.builder
