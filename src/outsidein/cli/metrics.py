"""``outsidein metrics ...``: revenue, retention and usage in the terminal, or to a file.

Reports read the store (or, with ``--lake``, a Parquet lake on DuckDB or Spark), or ask the
server that holds the store (:mod:`outsidein.cli.server_client`); each is computed by the
same definition as the API's (:mod:`outsidein.web.queries.metrics`). Only ``metrics
snapshot`` writes. Every report can be written whole with ``--out x.csv|.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import pyarrow as pa
import typer

from outsidein.analytics import (
    AnalyticsConfig,
    Sources,
    build_snapshot,
    duckdb_lake,
    lake_sources,
    spark_backend,
    store_sources,
    update_snapshot,
)
from outsidein.analytics.filters import check_filters, filter_choices
from outsidein.analytics.today import ReportDates, lake_last_day, report_dates, utc_today
from outsidein.cli.app import ConfigOption, DbOption, app, console, err_console, settings
from outsidein.cli.metrics_output import pivot, render, table_from_json, write_output
from outsidein.cli.server_client import Server, open_for_writing, store_or_server
from outsidein.config import load_config
from outsidein.errors import InvalidRequestError
from outsidein.store.config_versions import read_config_file, seed, seed_from_file
from outsidein.store.freshness import data_last_day
from outsidein.web.queries import metrics as q

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


@dataclass(frozen=True)
class Ask:
    """What a report command was asked: where to read, which days, which accounts."""

    db: Path | None
    config: Path | None
    as_of: str | None
    since: str | None
    lake: str | None = None
    engine: str = "duckdb"
    segment: str | None = None
    region: str | None = None
    csm: str | None = None
    out: Path | None = None  # an export: the server records it in the audit log


@dataclass
class Answer:
    """One report's table, with the configuration and the days it was computed for."""

    table: pa.Table
    config: AnalyticsConfig
    first: date
    as_of: date


# A report as the API names it, how it is computed (the API's own definition), its parameters.
Named = tuple[str, q.Report, dict[str, Any]]


def _answers(ask: Ask, *reports: Named) -> list[Answer]:
    """Compute ``reports`` on the store (read-only), a lake, or through the server holding
    the store; the same definitions (:mod:`outsidein.web.queries.metrics`) every way.

    Dates follow the report-day rule (:func:`report_dates`): the data's last day when it is
    older than today, said on stderr; filters match any case, unknown values are refused.
    """
    chosen = settings(ask.db, ask.config)
    first_day, last_day = _date(ask.since, "--from"), _date(ask.as_of, "--as-of")
    if ask.engine not in ("duckdb", "spark"):
        raise InvalidRequestError(f"--engine must be duckdb or spark, not {ask.engine!r}")
    if ask.lake is not None:
        if ask.engine == "spark":
            sources = lake_sources(spark_backend(), ask.lake)
        else:
            sources = duckdb_lake(ask.lake, memory_limit=chosen.memory_limit)
        analytics = load_config(chosen.config).analytics
        dates = report_dates(first_day, last_day, data_last_day=lake_last_day(sources))
        return _computed(sources, analytics, dates, ask, reports)
    if ask.engine == "spark":
        raise InvalidRequestError("--engine spark needs --lake: Spark reads a Parquet lake")
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            return _served(store, ask, reports)
        # The store's version in force (what the file would seed, unsaved: read-only here).
        analytics = seed_from_file(store, chosen.config, record=False).config.analytics
        dates = report_dates(first_day, last_day, data_last_day=data_last_day(store))
        return _computed(store_sources(store), analytics, dates, ask, reports)


def _computed(
    sources: Sources,
    config: AnalyticsConfig,
    dates: ReportDates,
    ask: Ask,
    reports: tuple[Named, ...],
) -> list[Answer]:
    if dates.notice:
        err_console.print(f"[yellow]note:[/] {dates.notice}", highlight=False)
    choices = filter_choices(sources)
    found = check_filters(choices, segment=ask.segment, region=ask.region, csm_id=ask.csm)
    scope = q.Scope(dates, choices, found["segment"], found["region"], found["csm_id"])
    scoped = sources.restrict(**found)
    return [
        Answer(report(scoped, config, scope), config, dates.first, dates.as_of)
        for _, report, _ in reports
    ]


def _served(server: Server, ask: Ask, reports: tuple[Named, ...]) -> list[Answer]:
    """The reports as the server computes them, read back into the tables they were."""
    config = AnalyticsConfig.model_validate(server.get("/api/v1/config")["config"]["analytics"])
    scope = {"from": ask.since, "as_of": ask.as_of, "segment": ask.segment,
             "region": ask.region, "csm": ask.csm}  # fmt: skip
    answers: list[Answer] = []
    for name, _, params in reports:
        export = f"{ask.out.name} ({name})" if ask.out is not None else None
        got = server.get(f"/api/v1/metrics/{name}", {**scope, **params}, export=export)
        if got["notice"] and not answers:
            err_console.print(f"[yellow]note:[/] {got['notice']}", highlight=False)
        rows = list(got["rows"])
        while got.get("next_offset") is not None:  # a report answers in pages of MAX_ROWS
            query = {**scope, **params, "offset": got["next_offset"]}
            got = {**server.get(f"/api/v1/metrics/{name}", query), "notice": None}
            rows += got["rows"]
        table = table_from_json(got["columns"], got["types"], rows)
        first, as_of = date.fromisoformat(got["first"]), date.fromisoformat(got["as_of"])
        answers.append(Answer(table, config, first, as_of))
    return answers


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
    ask = Ask(db, config, as_of, since, lake, engine, segment, region, csm, out)
    [run] = _answers(ask, ("mrr", q.mrr(grain), {"grain": grain}))
    _show(run.table, f"MRR by {grain} ({run.config.reporting_currency})", out)


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
    ask = Ask(db, config, as_of, since, lake, engine, segment, region, csm, out)
    [run] = _answers(ask, ("bridge", q.bridge(grain), {"grain": grain}))
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
    _show(run.table, f"MRR bridge by {grain} ({run.config.reporting_currency})", out, columns)


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
    ask = Ask(db, config, as_of, since, lake, engine, segment, region, csm, out)
    [run] = _answers(ask, ("retention", q.retention, {}))
    columns = [
        "month",
        "nrr",
        "grr",
        "logo_churn_rate",
        "annual_logo_churn_rate",
        "gross_revenue_churn_rate",
        "net_revenue_churn_rate",
    ]
    _show(run.table, "Revenue retention (trailing 12 months) and monthly churn", out, columns)


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
    ask = Ask(db, config, as_of, since, lake, engine, segment, region, csm, out)
    [run] = _answers(ask, ("cohorts", q.cohorts, {}))
    if out is not None:
        _show(run.table, "", out)
        return
    render(
        console,
        pivot(run.table, "cohort_month", "age", measure),
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
    ask = Ask(db, config, as_of, None, lake, engine, segment, region, csm, out)
    params = {"days": days, "include_monthly": include_monthly}
    run, stake = _answers(
        ask,
        ("renewals", q.upcoming(days, include_monthly), params),
        ("at_stake", q.at_stake(days, include_monthly), params),
    )
    total = stake.table.to_pylist()[0]
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
    _show(run.table, f"{kind} renewing in the next {horizon} days after {run.as_of}", out, columns)
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
    ask = Ask(db, config, as_of, None, lake, engine, segment, region, csm, out)
    reports: list[Named] = [("usage", q.usage(account), {"account": account})]
    if account is not None:
        reports.append(("features", q.features(account, 28), {"account": account, "window": 28}))
    run, *features = _answers(ask, *reports)
    if account is not None and run.table.num_rows == 0:
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
    _show(run.table, f"Usage as of {run.as_of}", out, columns)
    if features and out is None:
        render(console, features[0].table, f"{account}: events per feature, last 28 days")


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
    command = "metrics snapshot" + (" --rebuild" if rebuild else "")

    def instead(server: Server) -> str:
        if rebuild:
            pid = server.record.pid if server.record else "its process"
            return (
                "stop it (Ctrl+C where it runs, or `kill -INT "
                f"{pid}`), run `outsidein {command}` again, then start it again"
            )
        return (
            "it keeps the snapshot current itself (step 'snapshot' on /status); to update it "
            f"now: curl -X POST {server.url}/api/v1/metrics/snapshot"
        )

    con = open_for_writing(chosen.db, command, instead, chosen.memory_limit)
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
