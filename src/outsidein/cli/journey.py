"""``outsidein journey discover|funnel|handovers|churn-paths|broken-handoffs|blueprint``.

``discover`` reads an XES file in memory (``--xes``) or the store's touchpoints, and prints
the directly-follows graph (counts and times between steps) and the most frequent variants;
``funnel`` the stage funnel over the journey map; ``handovers`` the handover-of-work network
between functions; ``churn-paths`` the last steps before churn; ``broken-handoffs`` the
hand-offs nobody took up in time, with evidence; ``blueprint`` the service blueprint
(``--svg FILE``: its heatmap as an SVG file). The numbers are
:mod:`outsidein.journey`'s, the one definition.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.analytics.today import utc_today
from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.config import load_config
from outsidein.errors import ConfigError
from outsidein.journey import from_frame, read_xes
from outsidein.journey.blueprint import blueprint
from outsidein.journey.churn_paths import churn_paths
from outsidein.journey.interruptions import broken_handoffs
from outsidein.journey.store_log import handovers, stage_funnel, touchpoint_log
from outsidein.journey.summary import discovery_summary
from outsidein.store import connect

journey_app = typer.Typer(
    name="journey",
    help="The customer journey from the data: paths, times, funnel, handovers.",
    no_args_is_help=True,
)
app.add_typer(journey_app)


class CaseBy(StrEnum):
    account = "account"
    case = "case"


class ActivityBy(StrEnum):
    function_channel = "function_channel"
    channel = "channel"
    function = "function"
    stage = "stage"


Since = Annotated[str | None, typer.Option("--since", help="From this day (YYYY-MM-DD)")]
Until = Annotated[str | None, typer.Option("--until", help="Before this day (YYYY-MM-DD)")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")]


def _day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ConfigError(f"{option} {value!r}: a day as YYYY-MM-DD, e.g. 2026-01-31") from None


@journey_app.command("discover")
def discover_command(
    xes: Annotated[
        Path | None, typer.Option("--xes", help="Analyse this XES file (.xes or .xes.gz) instead")
    ] = None,
    case: Annotated[CaseBy, typer.Option("--case", help="A case is an account or a case")] = (
        CaseBy.account
    ),
    activity: Annotated[
        ActivityBy, typer.Option("--activity", help="What a step is, for touchpoints")
    ] = ActivityBy.function_channel,
    since: Since = None,
    until: Until = None,
    top: Annotated[int, typer.Option("--top", min=1, max=10_000, help="Rows shown")] = 15,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """Directly-follows graph (counts, median and p90 hours between steps) and variants."""
    start, end = _day(since, "--since"), _day(until, "--until")
    if xes is not None:
        log = from_frame(read_xes(xes))
    else:
        con = connect(settings(db).db, read_only=True)
        try:
            log = touchpoint_log(
                con, case=case.value, activity=activity.value, since=start, until=end
            )
        finally:
            con.close()
    out = discovery_summary(log, top)
    if as_json:
        console.print_json(json.dumps(out))
        return
    console.print(
        f"{out['events']:,} events, {out['cases']:,} cases, {out['activities']} activities; "
        f"{out['edges_total']:,} directly-follows edges, {out['variants_total']:,} variants"
    )
    table = RichTable("from", "to", "count", "median h", "p90 h", title="Directly follows")
    for e in out["edges"]:
        table.add_row(
            escape(e["from"]),
            escape(e["to"]),
            f"{e['count']:,}",
            f"{e['median_hours']}",
            f"{e['p90_hours']}",
        )
    console.print(table)
    vt = RichTable("cases", "steps", title="Variants")
    for v in out["variants"]:
        vt.add_row(f"{v['cases']:,}", escape(" → ".join(v["steps"])))
    console.print(vt)


@journey_app.command("funnel")
def funnel_command(
    since: Since = None,
    until: Until = None,
    as_json: Json = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Accounts that reached each stage of the journey map, conversion and drop-off."""
    s = settings(db, config)
    stages = load_config(s.config).journey.map()
    con = connect(s.db, read_only=True)
    try:
        steps = stage_funnel(
            con, stages, since=_day(since, "--since"), until=_day(until, "--until")
        )
    finally:
        con.close()
    if as_json:
        console.print_json(json.dumps([step.__dict__ for step in steps]))
        return
    table = RichTable("stage", "phase", "reached", "went on", "conversion", "drop-off")
    for st in steps:
        conv = "—" if st.conversion is None else f"{st.conversion:.0%}"
        table.add_row(
            st.stage, st.phase, f"{st.reached:,}", f"{st.went_on:,}", conv, f"{st.drop_off:,}"
        )
    console.print(table)


@journey_app.command("handovers")
def handovers_command(
    since: Since = None,
    until: Until = None,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """Work passed between functions: successive owners of each case."""
    con = connect(settings(db).db, read_only=True)
    try:
        found = handovers(con, since=_day(since, "--since"), until=_day(until, "--until"))
    finally:
        con.close()
    if as_json:
        console.print_json(json.dumps([h.__dict__ for h in found]))
        return
    table = RichTable("from", "to", "handovers", title="Handover of work")
    for h in found:
        table.add_row(h.from_function, h.to_function, f"{h.count:,}")
    console.print(table)


@journey_app.command("churn-paths")
def churn_paths_command(
    steps: Annotated[int, typer.Option("--steps", min=1, max=20, help="Last steps read")] = 3,
    days: Annotated[int, typer.Option("--days", min=1, max=3660, help="Days before churn")] = 90,
    activity: Annotated[
        ActivityBy, typer.Option("--activity", help="What a step is")
    ] = ActivityBy.function_channel,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Retained accounts are read before this day")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=10_000, help="Rows shown")] = 15,
    as_json: Json = False,
    db: DbOption = None,
) -> None:
    """The last steps before churn, against the same steps of the accounts that stayed."""
    day = _day(as_of, "--as-of")
    con = connect(settings(db).db, read_only=True)
    try:
        found = churn_paths(
            con,
            day.date() if day else utc_today(),
            steps=steps,
            days=days,
            activity=activity.value,
        )[:top]
    finally:
        con.close()
    if as_json:
        console.print_json(json.dumps([{**p.__dict__, "steps": list(p.steps)} for p in found]))
        return
    table = RichTable("churned", "retained", "lift", "path", title="Paths before churn")
    for p in found:
        lift = "—" if p.lift is None else f"{p.lift:.1f}"
        table.add_row(f"{p.churned:,}", f"{p.retained:,}", lift, escape(" → ".join(p.steps)))
    console.print(table)


@journey_app.command("broken-handoffs")
def broken_handoffs_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Limits must have passed before this day")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100_000, help="Rows shown")] = 50,
    as_json: Json = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Hand-offs nobody took up within the journey map's limit, with their evidence."""
    day = _day(as_of, "--as-of")
    s = settings(db, config)
    limits = load_config(s.config).journey.handoffs
    when = day or datetime.combine(utc_today(), datetime.min.time())
    con = connect(s.db, read_only=True)
    try:
        found = broken_handoffs(con, limits, when)
    finally:
        con.close()
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "handoff_id": b.handoff_id,
                        "case_id": b.case_id,
                        "account_id": b.account_id,
                        "from": b.from_function,
                        "to": b.to_function,
                        "handed_at": b.handed_at.isoformat(),
                        "limit_hours": b.limit_hours,
                        "taken_at": b.taken_at.isoformat() if b.taken_at else None,
                        "evidence": b.evidence,
                    }
                    for b in found[:top]
                ]
            )
        )
        return
    console.print(f"{len(found):,} hand-offs not taken up within their limit")
    table = RichTable("hand-off", "account", "evidence")
    for b in found[:top]:
        table.add_row(b.handoff_id, b.account_id, escape(b.evidence))
    console.print(table)


@journey_app.command("blueprint")
def blueprint_command(
    since: Since = None,
    until: Until = None,
    segment: Annotated[
        str | None, typer.Option("--segment", help="Accounts of this segment only")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=365, help="Answers this many days after")
    ] = 30,
    svg: Annotated[
        Path | None, typer.Option("--svg", help="Also write the heatmap to this SVG file")
    ] = None,
    as_json: Json = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The service blueprint: functions x stages, and the cells where the journey breaks."""
    s = settings(db, config)
    journey = load_config(s.config).journey
    con = connect(s.db, read_only=True)
    try:
        bp = blueprint(
            con, journey.map(), journey.handoffs, since=_day(since, "--since"),
            until=_day(until, "--until"), segment=segment, days=days,
        )  # fmt: skip
    finally:
        con.close()
    if svg is not None:
        from outsidein.web.journey_charts import blueprint_svg

        try:
            svg.write_text(blueprint_svg(bp, "Service blueprint"), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--svg {svg}: cannot be written ({exc.strerror})") from None
    if as_json:
        console.print_json(json.dumps(asdict(bp)))
        return
    table = RichTable("function", "stage", "touchpoints", "failed", "hand-offs ok",
                      "respond h", "NPS", "CSAT", "breaks", title="Service blueprint")  # fmt: skip
    for c in bp.cells:
        if not c.volume:
            continue
        table.add_row(
            c.function, c.stage, f"{c.volume:,}", _pct(c.failure_rate), _pct(c.handoff_success),
            "—" if c.respond_median_hours is None else f"{c.respond_median_hours:,.1f}",
            "—" if c.nps is None else f"{c.nps:+.0f}", "—" if c.csat is None else f"{c.csat:.2f}",
            escape("; ".join(c.breaks)),
        )  # fmt: skip
    console.print(table)
    if svg is not None:
        console.print(f"Wrote the heatmap to {escape(str(svg))}")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


@journey_app.command("load-xes")
def load_xes_command(
    file: Annotated[Path, typer.Argument(help="The XES log (.xes or .xes.gz)")],
    account_from: Annotated[
        str, typer.Option("--account-from", help="The attribute naming the account")
    ] = "case:concept:name",
    case_from: Annotated[
        str | None,
        typer.Option("--case-from", help="The attribute naming the case (cases are created)"),
    ] = None,
    function_from: Annotated[
        str | None,
        typer.Option("--function-from", help="The attribute naming the function [org:group]"),
    ] = None,
    function_map: Annotated[
        list[str] | None,
        typer.Option("--function-map", help="VALUE=FUNCTION, repeatable (e.g. 'Desk 2=support')"),
    ] = None,
    function: Annotated[
        str | None, typer.Option("--function", help="The function of every other event")
    ] = None,
    add_accounts: Annotated[
        bool, typer.Option("--add-accounts", help="Create the accounts the store lacks")
    ] = False,
    db: DbOption = None,
) -> None:
    """Load an XES log's events as touchpoints (activity = touchpoint type); `discover --xes`
    analyses one in memory instead."""
    from outsidein.cli.load import _print_summary
    from outsidein.cli.server_client import open_for_writing
    from outsidein.journey.xes_load import load_xes_touchpoints, parse_function_map

    mapping = parse_function_map(function_map or [])
    path = settings(db).db
    con = open_for_writing(
        path, "outsidein journey load-xes", lambda _: "stop the server, load, then start it"
    )
    try:
        done = load_xes_touchpoints(
            con, file, account_from=account_from, case_from=case_from,
            function_from=function_from, function_map=mapping, function=function,
            add_accounts=add_accounts,
        )  # fmt: skip
    finally:
        con.close()
    console.print(f"{done.events:,} events read from {escape(str(file))}")
    for result in (done.accounts, done.cases, done.touchpoints):
        if result is not None:
            _print_summary(result)
    unknown = any("unknown account_id" in r.reason for r in done.touchpoints.rejects)
    if unknown and not add_accounts:
        console.print("  --add-accounts creates the accounts the log names and the store lacks")
