"""``outsidein metrics ...``: revenue, retention and usage in the terminal, or to a file.

Reports read the store (or, with ``--lake``, a Parquet lake on DuckDB or Spark); only
``metrics snapshot`` writes. Every report can be written whole with ``--out x.csv|.parquet``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer

from outsidein.analytics import (
    AnalyticsConfig,
    Sources,
    account_usage,
    arr_at_stake,
    build_snapshot,
    churn_rates,
    cohort_retention,
    duckdb_lake,
    feature_counts,
    lake_sources,
    mrr_bridge,
    mrr_series,
    renewals,
    revenue_retention,
    spark_backend,
    store_sources,
    update_snapshot,
)
from outsidein.analytics.filters import check_filters, filter_choices
from outsidein.analytics.today import ReportDates, lake_last_day, report_dates, utc_today
from outsidein.cli.app import ConfigOption, DbOption, app, console, err_console, settings
from outsidein.cli.metrics_output import pivot, render, write_output
from outsidein.config import load_config
from outsidein.errors import InvalidRequestError, StoreLockedError
from outsidein.store import connect
from outsidein.store.config_versions import read_config_file, seed, seed_from_file
from outsidein.store.freshness import data_last_day

metrics_app = typer.Typer(
    name="metrics",
    help="Revenue, retention and usage metrics (definitions: docs/metrics.md).",
    no_args_is_help=True,
)
app.add_typer(metrics_app)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2025-07-01", param_hint=option
        ) from exc


AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="YYYY-MM-DD the report is as of, not after today "
        "[default: today (UTC) or the data's last day, whichever is earlier]",
    ),
]
Since = Annotated[
    str | None,
    typer.Option("--from", help="YYYY-MM-DD first period [default: 11 months before --as-of]"),
]
Segment = Annotated[str | None, typer.Option("--segment", help="Only accounts of this segment")]
Region = Annotated[str | None, typer.Option("--region", help="Only accounts of this region")]
Csm = Annotated[str | None, typer.Option("--csm", help="Only accounts owned by this CSM id")]
Grain = Annotated[str, typer.Option("--grain", help="day, week or month")]
Out = Annotated[
    Path | None, typer.Option("--out", help="Write the whole result to FILE.csv or FILE.parquet")
]
Lake = Annotated[
    str | None,
    typer.Option("--lake", help="Read a Parquet lake (folder or s3a://...) instead of the store"),
]
Engine = Annotated[str, typer.Option("--engine", help="duckdb or spark (with --lake)")]


@dataclass
class Run:
    sources: Sources
    config: AnalyticsConfig
    first: date
    as_of: date


@contextmanager
def _run(
    db: Path | None,
    config: Path | None,
    as_of: str | None,
    since: str | None,
    lake: str | None = None,
    engine: str = "duckdb",
    **where: str | None,
) -> Iterator[Run]:
    """Open the data read-only, resolve dates and filters, and close it afterwards.

    Dates follow the report-day rule (:func:`report_dates`): the data's last day when it is
    older than today, said on stderr; filters match any case, unknown values are refused.
    """
    chosen = settings(db, config)
    first_day, last_day = _date(since, "--from"), _date(as_of, "--as-of")
    if engine not in ("duckdb", "spark"):
        raise InvalidRequestError(f"--engine must be duckdb or spark, not {engine!r}")
    if lake is not None:
        if engine == "spark":
            sources = lake_sources(spark_backend(), lake)
        else:
            sources = duckdb_lake(lake, memory_limit=chosen.memory_limit)
        analytics = load_config(chosen.config).analytics
        dates = report_dates(first_day, last_day, data_last_day=lake_last_day(sources))
        yield _scoped(sources, analytics, dates, where)
        return
    if engine == "spark":
        raise InvalidRequestError("--engine spark needs --lake: Spark reads a Parquet lake")
    con = connect(chosen.db, read_only=True)
    try:
        # The store's version in force (what the file would seed, unsaved: read-only here).
        analytics = seed_from_file(con, chosen.config, record=False).config.analytics
        dates = report_dates(first_day, last_day, data_last_day=data_last_day(con))
        yield _scoped(store_sources(con), analytics, dates, where)
    finally:
        con.close()


def _scoped(
    sources: Sources, config: AnalyticsConfig, dates: ReportDates, where: dict[str, str | None]
) -> Run:
    if dates.notice:
        err_console.print(f"[yellow]note:[/] {dates.notice}", highlight=False)
    found = check_filters(filter_choices(sources), **where)
    return Run(sources.restrict(**found), config, dates.first, dates.as_of)


def _show(table: pa.Table, title: str, out: Path | None, columns: list[str] | None = None) -> None:
    if out is not None:
        write_output(table, out)
        console.print(f"wrote {table.num_rows:,} rows to {out}", highlight=False)
        return
    render(console, table, title, columns, limit=500)


@metrics_app.command("mrr")
def mrr(
    grain: Grain = "month",
    as_of: AsOf = None,
    since: Since = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    out: Out = None,
    lake: Lake = None,
    engine: Engine = "duckdb",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """MRR, ARR and paying customers at the close of each period."""
    with _run(
        db, config, as_of, since, lake, engine, segment=segment, region=region, csm_id=csm
    ) as run:
        table = mrr_series(run.sources, run.config, run.first, run.as_of, grain).to_pyarrow()
    _show(table, f"MRR by {grain} ({run.config.reporting_currency})", out)


@metrics_app.command("bridge")
def bridge(
    grain: Grain = "month",
    as_of: AsOf = None,
    since: Since = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    out: Out = None,
    lake: Lake = None,
    engine: Engine = "duckdb",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The MRR bridge: opening + new + expansion - contraction - churned + reactivated."""
    with _run(
        db, config, as_of, since, lake, engine, segment=segment, region=region, csm_id=csm
    ) as run:
        table = mrr_bridge(run.sources, run.config, run.first, run.as_of, grain).to_pyarrow()
    columns = [
        "period_start",
        "opening_mrr",
        "new",
        "expansion",
        "contraction",
        "churned",
        "reactivated",
        "closing_mrr",
        "closing_customers",
    ]
    _show(table, f"MRR bridge by {grain} ({run.config.reporting_currency})", out, columns)


@metrics_app.command("retention")
def retention(
    as_of: AsOf = None,
    since: Since = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    out: Out = None,
    lake: Lake = None,
    engine: Engine = "duckdb",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Trailing-12-month NRR and GRR, and monthly logo and revenue churn (with annual)."""
    with _run(
        db, config, as_of, since, lake, engine, segment=segment, region=region, csm_id=csm
    ) as run:
        nrr = revenue_retention(run.sources, run.config, run.first, run.as_of)
        churn = churn_rates(mrr_bridge(run.sources, run.config, run.first, run.as_of))
        joined = (
            nrr.join(churn, nrr.month == churn.period_start)
            .select(
                "month",
                "closing_date",
                "nrr",
                "grr",
                "base_mrr",
                "net_mrr",
                "logo_churn_rate",
                "annual_logo_churn_rate",
                "gross_revenue_churn_rate",
                "annual_gross_revenue_churn_rate",
                "net_revenue_churn_rate",
                "annual_net_revenue_churn_rate",
            )
            .order_by("month")
        )
        table = joined.to_pyarrow()
    columns = [
        "month",
        "nrr",
        "grr",
        "logo_churn_rate",
        "annual_logo_churn_rate",
        "gross_revenue_churn_rate",
        "net_revenue_churn_rate",
    ]
    _show(table, "Revenue retention (trailing 12 months) and monthly churn", out, columns)


@metrics_app.command("cohorts")
def cohorts(
    measure: Annotated[
        str, typer.Option("--measure", help="logo_retention, nrr or grr (the matrix shown)")
    ] = "logo_retention",
    as_of: AsOf = None,
    since: Since = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    out: Out = None,
    lake: Lake = None,
    engine: Engine = "duckdb",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Cohorts by first paid month: retention at each age in months (--out: every measure)."""
    if measure not in ("logo_retention", "nrr", "grr"):
        raise InvalidRequestError(f"--measure must be logo_retention, nrr or grr, not {measure!r}")
    with _run(
        db, config, as_of, since, lake, engine, segment=segment, region=region, csm_id=csm
    ) as run:
        table = cohort_retention(run.sources, run.config, run.first, run.as_of).to_pyarrow()
    if out is not None:
        _show(table, "", out)
        return
    render(
        console,
        pivot(table, "cohort_month", "age", measure),
        f"Cohorts: {measure} by months since first payment",
        percent=True,
    )


@metrics_app.command("renewals")
def renewals_(
    days: Annotated[
        int | None, typer.Option("--days", help="Look ahead N days [default: renewal_days]")
    ] = None,
    include_monthly: Annotated[
        bool,
        typer.Option(
            "--include-monthly", help="Also list month-to-month (evergreen monthly) contracts"
        ),
    ] = False,
    as_of: AsOf = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    out: Out = None,
    lake: Lake = None,
    engine: Engine = "duckdb",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Term contracts renewing in the next N days, with the ARR at stake."""
    with _run(
        db, config, as_of, None, lake, engine, segment=segment, region=region, csm_id=csm
    ) as run:
        args = (run.sources, run.config, run.as_of, days, include_monthly)
        table = renewals(*args).to_pyarrow()
        total = arr_at_stake(*args).to_pyarrow().to_pylist()[0]
    columns = [
        "renewal_date",
        "days_left",
        "account_name",
        "csm_id",
        "billing_period",
        "term_months",
        "auto_renew",
        "arr",
    ]
    horizon = days or run.config.renewal_days
    kind = "Contracts" if include_monthly else "Term contracts"
    _show(table, f"{kind} renewing in the next {horizon} days after {run.as_of}", out, columns)
    if out is None:
        console.print(
            f"ARR at stake: {total['arr']:,.2f} {run.config.reporting_currency} "
            f"in {total['contracts']:,} contracts",
            highlight=False,
        )


@metrics_app.command("usage")
def usage(
    account: Annotated[
        str | None, typer.Option("--account", help="One account: its per-feature counts too")
    ] = None,
    as_of: AsOf = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    out: Out = None,
    lake: Lake = None,
    engine: Engine = "duckdb",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Usage per account over the trailing windows (usage_windows in outsidein.toml)."""
    with _run(
        db, config, as_of, None, lake, engine, segment=segment, region=region, csm_id=csm
    ) as run:
        expr = account_usage(run.sources, run.config, run.as_of)
        if account is not None:
            expr = expr.filter(expr.account_id == account)
        table = expr.to_pyarrow()
        features = (
            feature_counts(run.sources, run.as_of, 28, account).to_pyarrow() if account else None
        )
    if account is not None and table.num_rows == 0:
        raise InvalidRequestError(f"no account {account!r} (check the id, e.g. in accounts)")
    windows = run.config.usage_windows
    columns = [
        "account_id",
        "account_name",
        *[f"active_users_{w}" for w in windows],
        f"events_{windows[-1]}",
        "stickiness_28",
        "days_since_last_activity",
        "time_to_first_value_days",
        "seats_used",
        "seats_bought",
    ]
    _show(table, f"Usage as of {run.as_of}", out, columns)
    if features is not None and out is None:
        render(console, features, f"{account}: events per feature, last 28 days")


@metrics_app.command("snapshot")
def snapshot(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Recompute everything instead of only what changed")
    ] = False,
    as_of: AsOf = None,
    since: Annotated[
        str | None,
        typer.Option("--from", help="YYYY-MM-DD first day, with --rebuild [default: history]"),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Bring the daily per-account snapshot (account_daily_metrics) up to date."""
    chosen = settings(db, config)
    from_file = read_config_file(chosen.config)  # a bad file fails before the store opens
    last = _date(as_of, "--as-of")
    first = _date(since, "--from")
    report_dates(first, last, data_last_day=None)  # refuses a future or ancient day
    if first is not None and not rebuild:
        raise InvalidRequestError("--from only applies with --rebuild")
    try:
        con = connect(chosen.db, memory_limit=chosen.memory_limit)
    except StoreLockedError as exc:
        raise StoreLockedError(
            f"{exc.message}; while the server runs, update the snapshot through it: "
            "curl -X POST http://HOST:PORT/api/v1/metrics/snapshot",
            **exc.details,
        ) from exc
    try:
        analytics = seed(con, from_file).config.analytics
        with console.status("computing the daily snapshot..."):
            if rebuild:
                day = last or utc_today()
                result = build_snapshot(con, analytics, day, since=first)
            else:
                result = update_snapshot(con, analytics, last)
    finally:
        con.close()
    console.print(
        f"[bold]account_daily_metrics[/]: {result.mode} ({result.reason}); "
        f"{result.rows:,} rows for {result.accounts:,} accounts written, covering "
        f"{result.first_date} to {result.last_date}; {result.new_events:,} new events; "
        f"{result.seconds:.1f} s",
        highlight=False,
    )
