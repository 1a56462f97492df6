"""``outsidein accounts list|show``: the accounts list and one account, in the terminal.

The same queries as ``/api/v1/accounts`` and the Accounts pages, so every figure (MRR and ARR
in the reporting currency, lifecycle status, next renewal) is the one the dashboard shows.
"""

from __future__ import annotations

from typing import Annotated, cast

import pyarrow as pa
import typer

from outsidein.analytics.lifecycle import STATUSES
from outsidein.cli.app import ConfigOption, DbOption, app, console, err_console, settings
from outsidein.cli.metrics import AsOf, Csm, Out, Region, Segment, _date, _show
from outsidein.config import load_config
from outsidein.display import money
from outsidein.labels import label
from outsidein.store import connect
from outsidein.web.queries.accounts import (
    SORT_COLUMNS,
    AccountFilters,
    Order,
    get_account,
    list_accounts,
)

accounts_app = typer.Typer(
    name="accounts", help="Accounts with their status, MRR and renewal.", no_args_is_help=True
)
app.add_typer(accounts_app)

Status = Annotated[
    str | None, typer.Option("--status", help=f"Only this lifecycle status: {', '.join(STATUSES)}")
]
LIST_COLUMNS = [
    "account_id", "name", "status", "segment", "region", "csm_id", "mrr", "arr",
    "renewal_date", "open_cases", "last_seen",
]  # fmt: skip


@accounts_app.command("list")
def list_command(
    q: Annotated[str, typer.Option("--q", help="Text to look for (id, name, industry, ...)")] = "",
    status: Status = None,
    segment: Segment = None,
    region: Region = None,
    csm: Csm = None,
    sort: Annotated[str, typer.Option(help=f"One of {', '.join(SORT_COLUMNS)}")] = "name",
    order: Annotated[str, typer.Option(help="asc or desc")] = "asc",
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="Rows to show")] = 50,
    as_of: AsOf = None,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Accounts matching the search and filters, with their figures as of one day."""
    if sort not in SORT_COLUMNS:
        raise typer.BadParameter(f"use one of {', '.join(SORT_COLUMNS)}", param_hint="--sort")
    if order not in ("asc", "desc"):
        raise typer.BadParameter("use asc or desc", param_hint="--order")
    chosen = settings(db, config)
    analytics = load_config(chosen.config).analytics
    con = connect(chosen.db, read_only=True)
    try:
        result = list_accounts(
            con,
            analytics,
            q=q,
            sort=sort,
            order=cast(Order, order),
            page_size=limit,
            filters=AccountFilters(status, segment, region, csm),
            as_of=_date(as_of, "--as-of"),
        )
    finally:
        con.close()
    if result.notice:
        err_console.print(f"[yellow]note:[/] {result.notice}", highlight=False)
    rows = [item.model_dump() for item in result.items]
    if out is None:  # words for a person; a file keeps the raw values, as the API does
        rows = [{**r, "status": label(r["status"]), "segment": label(r["segment"])} for r in rows]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in LIST_COLUMNS})
    shown = ", ".join(f"{k} {v}" for k, v in result.filters.items())
    title = (
        f"{result.total:,} accounts{f' ({shown})' if shown else ''} · MRR "
        f"{money(result.mrr_total, result.currency)} · as of {result.as_of} "
        f"({result.currency})"
    )
    _show(table, title, out, LIST_COLUMNS)


@accounts_app.command("show")
def show_command(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    as_of: AsOf = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """One account: status, MRR and ARR (and in its own currencies), renewal, subscriptions."""
    chosen = settings(db, config)
    analytics = load_config(chosen.config).analytics
    con = connect(chosen.db, read_only=True)
    try:
        detail = get_account(con, account_id, analytics, as_of=_date(as_of, "--as-of"))
    finally:
        con.close()
    if detail.notice:
        err_console.print(f"[yellow]note:[/] {detail.notice}", highlight=False)
    a, cur = detail.account, detail.currency
    own = ", ".join(money(m.mrr, m.currency) for m in detail.mrr_by_currency if m.currency != cur)
    facts = [
        ("account", f"{a.name} ({a.account_id})"),
        ("status", f"{label(a.status)} on {detail.as_of}"),
        ("MRR", money(a.mrr, cur) + (f" ({own})" if own else "")),
        ("ARR", money(a.arr, cur)),
        ("next renewal", str(a.renewal_date or "-")),
        ("segment / region", f"{label(a.segment) or '-'} / {a.region or '-'}"),
        ("CSM", a.csm_name or a.csm_id or "unassigned"),
        ("open cases", str(a.open_cases)),
    ]
    for name, value in facts:
        console.print(f"[bold]{name:>16}[/]  {value}", highlight=False)
    subs = [
        {
            "subscription_id": s.subscription_id,
            "plan": s.plan,
            "status": s.status,
            "currency": s.currency,
            "mrr_original": s.mrr_original,
            f"mrr_{cur.lower()}": s.mrr,
            "start_date": s.start_date,
            "end_date": s.end_date,
        }
        for s in detail.subscriptions
    ]
    if subs:
        _show(pa.Table.from_pylist(subs), "Subscriptions", None)
