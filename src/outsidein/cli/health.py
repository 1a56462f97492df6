"""``outsidein health score|list|show|explain|override|backtest``: health in the terminal.

The same readings as ``/api/v1/health`` (:mod:`outsidein.health.read`, shaped by the API's
models), so the CLI, the API and the pages show one number; while ``outsidein serve`` holds the
store, that server answers. The configuration is the store's versioned copy, seeded from
``outsidein.toml`` as the server does.
"""

from __future__ import annotations

import getpass
import json
import time
import tomllib
import urllib.parse
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import typer
from pydantic_core import to_jsonable_python

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.metrics import Csm, Out, _date, _show
from outsidein.cli.server_client import Server, open_for_writing, store_or_server
from outsidein.config import OutsideInConfig, parse_config
from outsidein.display import money
from outsidein.errors import ConfigError
from outsidein.health import read, service
from outsidein.settings.health import HealthConfig
from outsidein.store.config_versions import read_config_file, seed
from outsidein.web.queries.health import portfolio
from outsidein.web.schemas.health import AccountHealthOut, OverrideOut, ScoreList
from outsidein.web.schemas.health_portfolio import PortfolioOut

health_app = typer.Typer(
    name="health", help="Health scores: list, explain, override, backtest.", no_args_is_help=True
)
app.add_typer(health_app)

At = Annotated[str | None, typer.Option("--at", help="A past day (YYYY-MM-DD) [now]")]
Account = Annotated[str, typer.Argument(help="The account's id")]
LIST_COLUMNS = ["account_id", "name", "csm_id", "scorecard", "score", "band", "override_id"]


def _at(value: str | None) -> datetime:
    """The end of the day asked (the score in force then), or now."""
    now = datetime.now(UTC).replace(tzinfo=None)
    day = _date(value, "--at")
    if day is None:
        return now
    return min(datetime.combine(day + timedelta(days=1), datetime.min.time()), now)


def _config(con: duckdb.DuckDBPyConnection, path: Path | None, write: bool) -> OutsideInConfig:
    """The configuration in force: the store's versioned copy, seeded from the file."""
    cur = con.cursor()  # its own results: the reads after it start clean
    try:
        return seed(cur, read_config_file(path), record=write).config
    finally:
        cur.close()


def _path(account_id: str) -> str:
    return f"/api/v1/health/accounts/{urllib.parse.quote(account_id, safe='')}"


def fetch_account(
    store: duckdb.DuckDBPyConnection | Server, account_id: str, at: datetime, path: Path | None
) -> AccountHealthOut:
    """One account's health, from the store or the server that holds it."""
    if isinstance(store, Server):
        return AccountHealthOut.model_validate(store.get(_path(account_id), {"at": at}))
    health = _config(store, path, write=False).health
    return AccountHealthOut.of(read.account_health(store, account_id, health, at=at))


@health_app.command("score")
def score_command(db: DbOption = None, config: ConfigOption = None) -> None:
    """Score every account now with the scorecards in force and store what changed."""
    chosen = settings(db, config)

    def instead(server: Server) -> str:
        return "it keeps scores current itself (step 'health' on /status)"

    con = open_for_writing(chosen.db, "health score", instead, chosen.memory_limit)
    try:
        current = _config(con, chosen.config, write=True)
        with console.status("scoring every account..."):
            run = service.score_now(con, current)
    finally:
        con.close()
    console.print(
        f"scored {run.accounts:,} accounts on {run.as_of} with configuration version "
        f"{run.config_version}: {run.written:,} changed",
        highlight=False,
    )


@health_app.command("list")
def list_command(
    band: Annotated[str | None, typer.Option("--band", help="Only this band (red, ...)")] = None,
    scorecard: Annotated[str | None, typer.Option("--scorecard", help="Only this card")] = None,
    csm: Csm = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Rows to show")] = 50,
    at: At = None,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Accounts by score, lowest first."""
    chosen = settings(db, config)
    when = _at(at)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            params = {"band": band, "scorecard": scorecard, "csm": csm, "at": when}
            found = ScoreList.model_validate(
                store.get("/api/v1/health/scores", {**params, "page_size": limit})
            )
        else:
            page = read.list_scores(
                store, when, band=band, scorecard=scorecard, csm=csm, page_size=limit
            )
            found = ScoreList.of(page, when)
    rows = [r.model_dump() for r in found.scores]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in LIST_COLUMNS})
    _show(table, f"{found.total:,} scored accounts at {when:%Y-%m-%d %H:%M}", out, LIST_COLUMNS)


@health_app.command("portfolio")
def portfolio_command(
    csm: Csm = None, out: Out = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """Customers by band and touch tier, ARR at risk, the week's movers (the /health page)."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = PortfolioOut.model_validate(store.get("/api/v1/health/portfolio", {"csm": csm}))
        else:
            current = _config(store, chosen.config, write=False)
            found = PortfolioOut.of(portfolio(store, current.analytics, current.health, csm=csm))
    title = (
        f"{found.customers:,} customers on {found.as_of}: "
        f"{money(found.arr_at_risk, found.currency)} ARR at risk"
    )
    band_columns = ["band", "accounts", "arr"]
    _show(_table([r.model_dump() for r in found.by_band], band_columns), title, out, band_columns)
    if out is None:
        tier_columns = ["tier", "band", "accounts", "arr"]
        tiers = _table([r.model_dump() for r in found.by_tier], tier_columns)
        _show(tiers, "by touch tier", None, tier_columns)
        mover_columns = ["account_id", "name", "before", "after", "why"]
        movers = _table([m.model_dump() for m in found.movers], mover_columns)
        _show(movers, "the week's biggest movers", None, mover_columns)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    return pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})


def _headline(h: AccountHealthOut) -> str:
    score = "none" if h.score is None else f"{h.score:.1f}"
    line = f"{h.account_id}: {score} ({h.band or 'no band'}) on scorecard {h.scorecard}"
    line += f", configuration version {h.config_version}"
    if h.override is not None:
        o = h.override
        line += (
            f"\noverridden by {o.author} until {o.expires_at:%Y-%m-%d}: {o.reason} "
            f"(computed {h.computed_score})"
        )
    return line


@health_app.command("show")
def show_command(
    account_id: Account, at: At = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """One account's score, what moved since the previous one, and its trend."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        found = fetch_account(store, account_id, _at(at), chosen.config)
    console.print(_headline(found), highlight=False)
    for move in found.moved:
        console.print(f"  - {move.text}", highlight=False)
    points = [(p.at.strftime("%Y-%m-%d %H:%M"), p.score, p.band, p.kind) for p in found.trend]
    table = pa.table(
        {k: [p[i] for p in points] for i, k in enumerate(("at", "score", "band", "kind"))}
    )
    _show(table, "trend (90 days)", None)


@health_app.command("explain")
def explain_command(
    account_id: Account, at: At = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """Each measure's raw value, points, weight and contribution to the score."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        found = fetch_account(store, account_id, _at(at), chosen.config)
    console.print(_headline(found), highlight=False)
    if found.set_by:
        console.print(f"set by (worst-of): {', '.join(found.set_by)}", highlight=False)
    rows = [m.model_dump() for m in found.measures]
    columns = ["label", "raw", "points", "weight", "contribution", "missing"]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})
    _show(table, "measures", None, columns)


@health_app.command("override")
def override_command(
    account_id: Account,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history)")],
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How long it lasts")] = 30,
    score: Annotated[float | None, typer.Option("--score", min=0, max=100)] = None,
    band: Annotated[str | None, typer.Option("--band")] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="Who sets it [your login; the server: you]")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Set an account's score and/or band by hand for ``--days`` days."""
    chosen = settings(db, config)
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=days)
    body = {"score": score, "band": band, "reason": reason, "expires_at": expires.isoformat()}
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):  # the server's signed-in user is the author
            made = OverrideOut.model_validate(
                store.call("POST", _path(account_id) + "/overrides", body=body)
            )
        else:
            health = _config(store, chosen.config, write=True).health
            made = OverrideOut.of(
                service.override(
                    store,
                    health,
                    account_id,
                    reason=reason,
                    author=author or getpass.getuser(),
                    expires_at=expires,
                    score=score,
                    band=band,
                )
            )
    console.print(
        f"override {made.override_id} on {made.account_id}: score {made.score}, band "
        f"{made.band}, by {made.author} until {made.expires_at:%Y-%m-%d %H:%M}",
        highlight=False,
    )


def _draft(published: HealthConfig, scorecard: str | None, draft: Path | None) -> HealthConfig:
    if draft is not None:
        try:
            raw = tomllib.loads(draft.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{draft}: cannot read it as TOML: {exc}") from None
        return parse_config({"health": raw.get("health", raw)}, str(draft)).health
    if scorecard is not None:
        if scorecard not in published.scorecards:
            raise ConfigError(
                f"no scorecard {scorecard!r}; the published ones are "
                f"{', '.join(published.scorecards)}"
            )
        return published.model_copy(update={"assign": [], "default_scorecard": scorecard})
    return published


@health_app.command("backtest")
def backtest_command(
    scorecard: Annotated[
        str | None, typer.Option("--scorecard", help="Score every account with this card")
    ] = None,
    draft: Annotated[
        Path | None, typer.Option("--draft", help="A TOML file with a [health] section")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Last day known [today]")] = None,
    months: Annotated[int, typer.Option(min=1, max=36)] = 12,
    out: Annotated[Path | None, typer.Option("--out", help="Write the reports as JSON")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """How the draft (and the published scorecards) ranked the accounts that then left."""
    chosen = settings(db, config)
    day = _date(as_of, "--as-of") or date.today()
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            published = HealthConfig.model_validate(
                store.get("/api/v1/health/scorecards")["health"]
            )
            body = {
                "draft": to_jsonable_python(_draft(published, scorecard, draft)),
                "as_of": day.isoformat(),
                "months": months,
            }
            job = store.call("POST", "/api/v1/health/backtest", body=body)
            while job["status"] in ("queued", "running"):
                time.sleep(0.5)
                job = store.get(job["url"])
            if job["status"] != "done":
                raise ConfigError(f"the backtest {job['status']}: {job['error']}")
            reports: dict[str, Any] = job["result"]
        else:
            current = _config(store, chosen.config, write=False)
            with console.status(f"backtesting {months} monthly points..."):
                found = service.compare(
                    store, _draft(current.health, scorecard, draft), current.health, day,
                    months=months, config=current.analytics, journey=current.journey,
                )  # fmt: skip
            reports = {k: to_jsonable_python(asdict(v)) for k, v in found.items()}
    if out is not None:
        out.write_text(json.dumps(reports, indent=2), encoding="utf-8")
        console.print(f"wrote the reports to {out}", highlight=False)
        return
    for name, report in reports.items():
        console.print(_summary(name, report), highlight=False)


def _summary(name: str, r: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.1%}"

    auc = "n/a" if r["auc"] is None else f"{r['auc']:.3f}"
    lift = "n/a" if r["lift"] is None else f"{r['lift']:.2f}x"
    bands = ", ".join(f"{b['band']} {pct(b['rate'])} of {b['observations']:,}" for b in r["bands"])
    left = ", ".join(lo["name"] for lo in r["left_out"]) or "none"
    return (
        f"{name}: AUC {auc}; lowest decile lost {pct(r['lowest_decile_rate'])} (lift {lift}, "
        f"base {pct(r['base_rate'])}); by band: {bands}; left out: {left}"
    )
