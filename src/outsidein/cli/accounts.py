"""``outsidein accounts list|show``: the accounts list and one account, in the terminal.

The same queries as ``/api/v1/accounts`` and the Accounts pages, so every figure (MRR and ARR
in the reporting currency, lifecycle status, next renewal) is the one the dashboard shows;
while ``outsidein serve`` holds the store, that server answers (same models, same output).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated, cast

import pyarrow as pa
import typer

from outsidein.analytics import SnapshotMissingError
from outsidein.analytics.lifecycle import STATUSES
from outsidein.cli.app import ConfigOption, DbOption, app, console, err_console, settings
from outsidein.cli.metrics import AsOf, Csm, Out, Region, Segment, _date, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.config import load_config
from outsidein.display import money
from outsidein.errors import OutsideInError
from outsidein.labels import label
from outsidein.web.params import MAX_PAGE_SIZE
from outsidein.web.queries.account_usage import account_usage_history, look_back
from outsidein.web.queries.accounts import (
    SORT_COLUMNS,
    AccountFilters,
    Order,
    get_account,
    list_accounts,
)
from outsidein.web.schemas.accounts import AccountDetail, AccountList, AccountUsage

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
    filters = AccountFilters(status, segment, region, csm)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            result = _served_list(store, q, sort, order, limit, filters, as_of, out)
        else:
            result = list_accounts(
                store,
                load_config(chosen.config).analytics,
                q=q,
                sort=sort,
                order=cast(Order, order),
                page_size=limit,
                filters=filters,
                as_of=_date(as_of, "--as-of"),
            )
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
    day = _date(as_of, "--as-of")
    usage: AccountUsage | None = None
    missing = ""
    with store_or_server(chosen.db, read_only=True) as store:
        path = f"/api/v1/accounts/{urllib.parse.quote(account_id, safe='')}"
        if isinstance(store, Server):
            detail = AccountDetail.model_validate(store.get(path, {"as_of": day}))
        else:
            analytics = load_config(chosen.config).analytics
            detail = get_account(store, account_id, analytics, as_of=day)
        try:
            if isinstance(store, Server):
                usage = AccountUsage.model_validate(store.get(f"{path}/usage", {"as_of": day}))
            else:
                usage = account_usage_history(store, account_id, analytics, as_of=day)
        except OutsideInError as exc:  # a server's answer carries the same code
            if exc.code != SnapshotMissingError.code:
                raise
            missing = exc.message
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
        ("usage", _usage_line(detail)),
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
    if usage is None:
        err_console.print(f"[yellow]note:[/] no usage over time: {missing}", highlight=False)
        return
    _show_usage(usage)


def _usage_line(detail: AccountDetail) -> str:
    """The account page's usage summary in one line: the daily snapshot's figures."""
    u = detail.usage
    if u.day is None:
        return f"- ({u.notice})"
    return (
        f"{u.active_users_7:,} active users in 7 days, {u.active_users_28:,} in 28 days "
        f"(seats used), {u.events_28:,} events and {u.key_features_used_28} key features "
        f"in 28 days, on {u.day}"
    )


def _show_usage(usage: AccountUsage) -> None:
    """The account page's usage table: the last day of the daily snapshot and earlier ones."""
    keys = len(usage.key_features)
    rows = [
        {
            "day": name,
            "date": p.date,
            "active_users_7": p.active_users_7,
            "seats_used": p.seats_used,
            "seats_bought": p.seats_bought,
            "seat_utilization": p.seat_utilization,
            "key_features_used_28": f"{p.key_features_used_28} of {keys}"
            if keys
            else p.key_features_used_28,
        }
        for name, p in look_back(usage)
    ]
    if not rows:
        console.print(f"no days of this account in the daily snapshot up to {usage.last}")
        return
    title = (
        f"Usage, daily snapshot ({usage.first} to {usage.last}; seats used = active users, 28 days)"
    )
    _show(pa.Table.from_pylist(rows), title, None)


def _served_list(
    server: Server,
    q: str,
    sort: str,
    order: str,
    limit: int,
    filters: AccountFilters,
    as_of: str | None,
    out: Path | None = None,
) -> AccountList:
    """The first ``limit`` matches as the server lists them, page by page (an ``out`` file
    is named to the server, which records the export in its audit log)."""
    size = min(limit, MAX_PAGE_SIZE)
    params = {
        "q": q, "sort": sort, "order": order, "page_size": size, "status": filters.status,
        "segment": filters.segment, "region": filters.region, "csm": filters.csm,
        "as_of": _date(as_of, "--as-of"),
    }  # fmt: skip
    export = out.name if out is not None else None
    first = AccountList.model_validate(
        server.get("/api/v1/accounts", {**params, "page": 1}, export=export)
    )
    items = list(first.items)
    page = 1
    while len(items) < min(limit, first.total):
        page += 1
        more = server.get("/api/v1/accounts", {**params, "page": page})["items"]
        if not more:
            break
        items.extend(AccountList.model_validate({**first.model_dump(), "items": more}).items)
    return first.model_copy(update={"items": items[:limit], "page_size": limit})
