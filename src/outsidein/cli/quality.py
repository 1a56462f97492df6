"""``outsidein quality`` and ``outsidein churn``: the data-quality checks, and churn as the
CRM records it beside the revenue data (docs/quality.md, docs/metrics.md).

Both read the store, or ask the server that holds it (``GET /api/v1/quality``,
``GET /api/v1/churn``): the answers are the same JSON, printed as tables here.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.server_client import Server, store_or_server
from outsidein.errors import InvalidRequestError
from outsidein.store.config_versions import read_config_file, seed
from outsidein.web.queries.quality import churn_json, quality_json, report_dates_of

Format = Annotated[str, typer.Option("--format", help="table or json")]


@app.command()
def quality(
    check: Annotated[str | None, typer.Option("--check", help="Only this check")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, max=500, help="Findings listed")] = 20,
    format_: Format = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Data-quality checks: what the sources left inconsistent, counted, listed, explained."""
    cfg = settings(db, config)
    from_file = read_config_file(cfg.config)
    with store_or_server(cfg.db, read_only=True, memory_limit=cfg.memory_limit) as store:
        if isinstance(store, Server):
            params: dict[str, Any] = {"limit": limit, "check": check}
            got: dict[str, Any] = store.call("GET", "/api/v1/quality", params)
        else:
            sources = seed(store, from_file, record=False).config.sources
            got = quality_json(store, sources, limit, check)
    if format_ == "json":
        console.print_json(json.dumps(got))
        return
    for c in got["checks"]:
        count = f"{c['count']:,}" if c["checked"] else c["note"]
        console.print(f"\n[bold]{escape(c['title'])}[/]: {count}", highlight=False)
        console.print(f"  {escape(c['why'])}", highlight=False)
        if c["count"]:
            console.print(f"  fix: {escape(c['fix'])}", highlight=False)
        if c["rows"]:
            table = RichTable(*c["columns"])
            for row in c["rows"]:
                table.add_row(*(escape(_cell(row[col])) for col in c["columns"]))
            console.print(table)


@app.command()
def churn(
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last day (YYYY-MM-DD)")] = None,
    grain: Annotated[str, typer.Option("--grain", help="month, quarter or year")] = "quarter",
    by: Annotated[str, typer.Option("--by", help="segment, region, industry, csm_id")] = "segment",
    format_: Format = "table",
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Churn reasons by period and segment, and where the CRM and revenue disagree."""
    cfg = settings(db, config)
    from_file = read_config_file(cfg.config)
    first, last = _day(from_, "--from"), _day(as_of, "--as-of")
    with store_or_server(cfg.db, read_only=True, memory_limit=cfg.memory_limit) as store:
        if isinstance(store, Server):
            params = {"from": from_, "as_of": as_of, "grain": grain, "by": by}
            got: dict[str, Any] = store.call("GET", "/api/v1/churn", params)
        else:
            analytics = seed(store, from_file, record=False).config.analytics
            got = churn_json(store, analytics, report_dates_of(store, first, last), grain, by)
    if format_ == "json":
        console.print_json(json.dumps(got))
        return
    reasons = RichTable(
        "period", by, "reason", "type", "accounts", "MRR lost", "refunds",
        title=f"churn reasons, {got['from']} to {got['as_of']}", title_justify="left",
    )  # fmt: skip
    for r in got["reasons"]:
        cells = [r["period_start"], r[by], r["reason"], r["type"], r["accounts"], r["mrr_lost"],
                 r["refunds"]]  # fmt: skip
        reasons.add_row(*(escape(_cell(c)) for c in cells))
    console.print(reasons)
    disagree = RichTable(
        "account", "name", "disagreement", "CRM churned", "revenue ended", "MRR now",
        title=f"CRM and revenue disagree on {got['as_of']}: {len(got['disagreements'])}",
        title_justify="left",
    )  # fmt: skip
    for r in got["disagreements"]:
        crm = r["crm_churned_at"] or ("flag" if r["crm_flag"] else None)
        cells = [r["account_id"], r["name"], r["kind"], crm, r["revenue_ended_at"], r["mrr"]]
        disagree.add_row(*(escape(_cell(c)) for c in cells))
    console.print(disagree)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequestError(f"{option} {value!r}: give a day as YYYY-MM-DD") from None


def _cell(value: object) -> str:
    return "—" if value is None else str(value)
