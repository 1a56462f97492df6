"""``outsidein predict train|score|report|explain``: churn and expansion propensity.

``train`` builds the dataset, backtests, fits, stores a version with its report and publishes
it unless its backtest is worse than the published one's (``--force`` publishes anyway);
below the minimum of labelled examples it says so and lists the health score's ranking
instead. ``score`` writes every paying account's probabilities with the published models.
``report`` writes a version's HTML report; ``explain`` shows one account's risk and drivers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.health import _config
from outsidein.cli.server_client import Server, open_for_writing
from outsidein.errors import NotFoundError
from outsidein.health.read import list_scores
from outsidein.predict import scores, service, versions
from outsidein.predict.dataset import TARGETS, NotEnoughExamplesError, horizon_words
from outsidein.store import connect

predict_app = typer.Typer(
    name="predict",
    help="Churn and expansion propensity: train, score, report, explain.",
    no_args_is_help=True,
)
app.add_typer(predict_app)

TargetOption = Annotated[
    list[str] | None,
    typer.Option("--target", help=f"One of {', '.join(TARGETS)} (repeat it) [churn, expansion]"),
]


def _instead(server: Server) -> str:
    return (
        "train through the server: POST /api/v1/predict/train (a job), or stop the server, "
        "run the command, then start it again"
    )


def _health_instead(con: object, message: str) -> None:
    console.print(f"[yellow]{message}[/]", highlight=False)
    ranked = list_scores(con, datetime.now(UTC).replace(tzinfo=None), page_size=10)  # type: ignore[arg-type]
    if ranked.total:
        table = Table("account", "name", "health", "band", title="Lowest health first")
        for r in ranked.rows:
            table.add_row(
                str(r["account_id"]), str(r["name"] or ""), f"{r['score']:.0f}", str(r["band"])
            )
        console.print(table)


@predict_app.command("train")
def train_command(
    target: TargetOption = None,
    observations: Annotated[
        int, typer.Option("--observations", min=3, max=60, help="Monthly observation days")
    ] = 18,
    folds: Annotated[int, typer.Option("--folds", min=1, max=12, help="Backtest folds")] = 4,
    horizon: Annotated[int, typer.Option("--horizon-days", min=7, max=366, help="Days ahead")] = 90,
    by_renewal: Annotated[
        bool,
        typer.Option(
            "--by-renewal", help="Label by each account's next term renewal within the horizon"
        ),
    ] = False,
    static: Annotated[
        list[str] | None,
        typer.Option("--static", help="A field without history to use (today's value)"),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Publish even when the backtest is worse")
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Train, backtest and store a version per target; publish it through the guard."""
    chosen = settings(db, config)
    targets = [service.parse_target(t) for t in (target or ["churn", "expansion"])]
    con = open_for_writing(chosen.db, "predict train", _instead, chosen.memory_limit)
    refused = False
    try:
        in_force = _config(con, chosen.config, write=False)
        analytics, journey = in_force.analytics, in_force.journey
        dataset = None
        for name in targets:
            with console.status(f"training {name} (dataset, backtests, fit)..."):
                try:
                    if dataset is None:
                        days = service.observation_days(
                            service.last_snapshot_day(con), observations
                        )
                        dataset = service.build_dataset(
                            con, days, horizon_days=horizon, static=static or (),
                            config=analytics, journey=journey, by_renewal=by_renewal,
                        )  # fmt: skip
                    run = service.train_version(
                        con,
                        name,
                        observations=observations,
                        folds=folds,
                        force=force,
                        dataset=dataset,
                    )
                except NotEnoughExamplesError as exc:
                    _health_instead(con, exc.message)
                    raise typer.Exit(1) from None
            auc = "n/a" if run.auc is None else f"{run.auc:.3f}"
            state = "published" if run.published else "[red]not published[/]"
            console.print(
                f"{name} {horizon_words(dataset.horizon_days, dataset.by_renewal)}: version "
                f"{run.version}, backtest AUC {auc}, {run.rows:,} "
                f"labelled rows, {state}",
                highlight=False,
            )
            if run.refused:
                console.print(f"[red]{run.refused}[/]", highlight=False)
                refused = True
        if not refused:
            done = service.score_accounts(con, config=analytics, journey=journey)
            console.print(
                f"scored {', '.join(f'{n:,} accounts ({t})' for t, n in done.accounts.items())} "
                f"as of {done.day}",
                highlight=False,
            )
    finally:
        con.close()
    if refused:
        raise typer.Exit(1)


@predict_app.command("score")
def score_command(db: DbOption = None, config: ConfigOption = None) -> None:
    """Score every paying account with each target's published model."""
    chosen = settings(db, config)
    con = open_for_writing(chosen.db, "predict score", _instead, chosen.memory_limit)
    try:
        in_force = _config(con, chosen.config, write=False)
        run = service.score_accounts(con, config=in_force.analytics, journey=in_force.journey)
        if not run.accounts:
            raise NotFoundError("no published model: run `outsidein predict train` first")
        found = scores.summary(con)
    finally:
        con.close()
    for target, n in run.accounts.items():
        console.print(f"{target}: {n:,} accounts scored with version {run.versions[target]}")
    _print_summary(found)


def _print_summary(found: scores.Summary) -> None:
    console.print(
        f"as of {found.day}: {found.accounts:,} accounts, expected churned ARR "
        f"{found.expected_churn_arr:,.0f}",
        highlight=False,
    )
    table = Table("churn risk", "accounts", "ARR")
    for b in found.risk_bands:
        table.add_row(b["band"], f"{b['accounts']:,}", f"{b['arr']:,.0f}")
    console.print(table)
    why = Table("segment", "accounts", "mean risk", "what raises it (share; accounts it leads)")
    for g in found.drivers_by_segment:
        drivers = ", ".join(
            f"{d['family']} {d['share']:.0%} ({d['accounts']})" for d in g["drivers"]
        )
        why.add_row(g["segment"], f"{g['accounts']:,}", f"{g['mean_risk']:.1%}", drivers)
    console.print(why)


@predict_app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path(
        "model-report.html"
    ),
    version: Annotated[
        int | None, typer.Option("--version", help="Model version [the published churn one]")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a version's self-contained HTML report; print the portfolio summary."""
    chosen = settings(db, config)
    con = connect(chosen.db, read_only=True)
    try:
        if version is None:
            current = versions.published(con, "churn")
            if current is None:
                raise NotFoundError("no published churn model: run `outsidein predict train`")
            version = current.version
        chosen_version = versions.get_version(con, version)
        html = versions.report_html(con, version)
        found = scores.summary(con)
    finally:
        con.close()
    out.write_text(html, encoding="utf-8")
    auc = "n/a" if chosen_version.auc is None else f"{chosen_version.auc:.3f}"
    console.print(
        f"version {version} ({chosen_version.target} {chosen_version.horizon}), backtest AUC "
        f"{auc}: report written to {out}",
        highlight=False,
    )
    _print_summary(found)


@predict_app.command("explain")
def explain_command(
    account: Annotated[str, typer.Argument(help="The account's id")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """One account's churn risk and expansion propensity, its drivers in words, its trend."""
    chosen = settings(db, config)
    con = connect(chosen.db, read_only=True)
    try:
        found = service.explain_account(con, account)
    finally:
        con.close()
    if not found.targets:
        console.print(f"{account}: no prediction (not paying, or nothing scored yet)")
        return
    for target, item in found.targets.items():
        console.print(
            f"{account} {target}: {item['probability']:.1%} on {item['day']} "
            f"(model version {item['version']})",
            highlight=False,
        )
        for d in item["drivers"]:
            console.print(
                f"  - {d['words']} ({d['family']}, +{d['contribution']:.2f})", highlight=False
            )
    churn = [t for t in found.trend if t["target"] == "churn"]
    if len(churn) > 1:
        console.print(
            "churn trend: " + ", ".join(f"{t['day']} {t['probability']:.0%}" for t in churn[-6:]),
            highlight=False,
        )
