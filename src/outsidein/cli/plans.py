"""``outsidein plans list|show|account|create|delete``: success plans in the terminal.

The same reading as ``/api/v1/plans`` (:mod:`outsidein.plans`, shaped by the API's models);
while ``outsidein serve`` holds the store, that server answers and writes.
"""

from __future__ import annotations

import getpass
import urllib.parse
from datetime import UTC, datetime
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import typer
from pydantic import ValidationError

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.cli.metrics import Out, _date, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.plans import (
    PlanError,
    account_plans,
    create_plan,
    delete_plan,
    get_plan,
    list_plans,
    progress_of,
    status_counts,
)
from outsidein.web.schemas.plans import AccountPlansOut, PlanIn, PlanList, PlanOut

plans_app = typer.Typer(
    name="plans",
    help="Success plans: outcomes agreed with each account, their progress and status.",
    no_args_is_help=True,
)
app.add_typer(plans_app)

AsOf = Annotated[str | None, typer.Option("--as-of", help="A past day (YYYY-MM-DD) [today]")]
Id = Annotated[str, typer.Argument(help="The plan's id")]
COLUMNS = ["plan_id", "account_id", "title", "status", "value", "progress", "expected",
           "target", "due_date", "owner"]  # fmt: skip


def _table(plans: list[PlanOut]) -> pa.Table:
    rows = [{c: getattr(p, c) for c in COLUMNS} | {"measure": p.measure} for p in plans]
    return pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in COLUMNS})


def _list(store: duckdb.DuckDBPyConnection | Server, params: dict[str, Any]) -> PlanList:
    if isinstance(store, Server):
        return PlanList.model_validate(store.get("/api/v1/plans", params))
    found = progress_of(store, list_plans(store, account_id=params["account_id"]),
                        params["as_of"])  # fmt: skip
    shown = [PlanOut.of(r) for r in found if params["status"] in (None, r.status)]
    counts = status_counts(found)
    day = params["as_of"] or datetime.now(UTC).date()
    return PlanList(as_of=day, plans=shown, counts=counts)


@plans_app.command("list")
def list_command(
    account: Annotated[str | None, typer.Option("--account", help="One account's plans")] = None,
    status: Annotated[str | None, typer.Option("--status", help="off_track, at_risk, ...")] = None,
    as_of: AsOf = None,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Every plan with its status on the day: off track first."""
    chosen = settings(db, None)
    params = {"account_id": account, "status": status, "as_of": _date(as_of, "--as-of")}
    with store_or_server(chosen.db, read_only=True) as store:
        found = _list(store, params)
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in found.counts.items() if v)
    console.print(f"{len(found.plans)} plans on {found.as_of}: {counts or 'none'}")
    _show(_table(found.plans), "Success plans", out, COLUMNS)


@plans_app.command("show")
def show_command(plan_id: Id, as_of: AsOf = None, db: DbOption = None) -> None:
    """One plan: its measure, progress against the line, milestones."""
    chosen = settings(db, None)
    day = _date(as_of, "--as-of")
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            path = "/api/v1/plans/" + urllib.parse.quote(plan_id, safe="")
            p = PlanOut.model_validate(store.get(path, {"as_of": day}))
        else:
            p = PlanOut.of(progress_of(store, [get_plan(store, plan_id)], day)[0])
    pct = "—" if p.progress is None else f"{p.progress:.0%}"
    console.print(
        f"{p.plan_id} {p.title} ({p.account_id}): {p.status.replace('_', ' ')} on {p.as_of}\n"
        f"  {p.measure_kind} {p.measure}: baseline {p.baseline:g}, now "
        f"{'—' if p.value is None else f'{p.value:g}'}, target {p.target:g} "
        f"({p.start_date} to {p.due_date})\n  progress {pct}, the line {p.expected:.0%}; "
        f"owner {p.owner or '—'}",
        highlight=False,
    )
    for m in p.milestones:
        mark = "reached" if m.reached else ("overdue" if m.overdue else "open")
        console.print(f"  milestone {m.title} by {m.due_date}: {mark}", highlight=False)


@plans_app.command("account")
def account_command(account_id: str, as_of: AsOf = None, db: DbOption = None) -> None:
    """An account's success plan and the value realised so far (business-review material)."""
    chosen = settings(db, None)
    day = _date(as_of, "--as-of")
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            path = "/api/v1/plans/accounts/" + urllib.parse.quote(account_id, safe="")
            a = AccountPlansOut.model_validate(store.get(path, {"as_of": day}))
        else:
            a = AccountPlansOut.of(account_plans(store, account_id, day))
    for r in a.realised:
        console.print(f"value realised so far: {r.value:,.1f} {r.unit}", highlight=False)
    _show(_table(a.plans), f"Success plan of {a.account_id} on {a.as_of}", None, COLUMNS)


def _milestone(text: str) -> dict[str, Any]:
    """``TITLE@YYYY-MM-DD[=TARGET]``."""
    title, _, rest = text.rpartition("@")
    day, _, target = rest.partition("=")
    if not title:
        raise PlanError(f"--milestone {text!r}: write TITLE@YYYY-MM-DD or TITLE@YYYY-MM-DD=TARGET")
    return {"title": title, "due_date": day, "target": float(target) if target else None}


@plans_app.command("create")
def create_command(
    account: Annotated[str, typer.Option("--account", help="The account's id")],
    title: Annotated[str, typer.Option("--title", help="The outcome, in the customer's words")],
    kind: Annotated[str, typer.Option("--kind", help="metric, custom, satisfaction, formula")],
    measure: Annotated[str, typer.Option("--measure", help="Column, field, outcome or formula")],
    baseline: Annotated[float, typer.Option("--baseline")],
    target: Annotated[float, typer.Option("--target")],
    start: Annotated[str, typer.Option("--start", help="YYYY-MM-DD")],
    due: Annotated[str, typer.Option("--due", help="YYYY-MM-DD")],
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="e.g. hours saved")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="A catalog outcome")] = None,
    milestone: Annotated[
        list[str] | None, typer.Option("--milestone", help="TITLE@YYYY-MM-DD[=TARGET], repeat")
    ] = None,
    db: DbOption = None,
) -> None:
    """Agree a plan with an account; prints its id and status today."""
    chosen = settings(db, None)
    raw = {"account_id": account, "title": title, "measure_kind": kind, "measure": measure,
           "baseline": baseline, "target": target, "start_date": start, "due_date": due,
           "owner": owner, "unit": unit, "outcome_id": outcome,
           "milestones": [_milestone(m) for m in milestone or []]}  # fmt: skip
    try:
        body = PlanIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "plan"
        raise PlanError(f"{where}: {first['msg']}") from None
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            made = PlanOut.model_validate(
                store.call("POST", "/api/v1/plans", body=body.model_dump(mode="json"))
            )
        else:
            stored = create_plan(store, body.plan(), actor=getpass.getuser())
            made = PlanOut.of(progress_of(store, [stored])[0])
    console.print(f"created {made.plan_id}: {made.status.replace('_', ' ')}", highlight=False)


@plans_app.command("delete")
def delete_command(plan_id: Id, db: DbOption = None) -> None:
    """Delete a plan and its milestones."""
    chosen = settings(db, None)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            store.call("DELETE", "/api/v1/plans/" + urllib.parse.quote(plan_id, safe=""))
        else:
            delete_plan(store, plan_id)
    console.print(f"deleted {plan_id}", highlight=False)
