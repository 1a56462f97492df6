"""``outsidein demo``: simulate a company, load it, and serve the dashboard."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from outsidein.analytics import AnalyticsConfig, update_snapshot
from outsidein.analytics.today import utc_today
from outsidein.auth.passwords import generate_password
from outsidein.auth.roles import Role
from outsidein.auth.users import count_users, create_user
from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.serve import HostOption, PortOption
from outsidein.clv.portfolio import TRANSACTIONAL
from outsidein.clv.portfolio import score as score_clv
from outsidein.clv.saved import save as save_clv
from outsidein.health.service import score_history, score_now
from outsidein.impact import import_firings
from outsidein.ingest import LoadResult, load_directory, load_file
from outsidein.ingest.profiles import load_export
from outsidein.jobs.demo import seed_demo_survey
from outsidein.jobs.surveys import survey_link
from outsidein.journey.report import journey_summary
from outsidein.outbox.demo import seed_demo_outbox
from outsidein.plans.planted import plant
from outsidein.playbooks import run_playbooks
from outsidein.segments import Context
from outsidein.segments.demo import save_demo_segments
from outsidein.settings.journey import JourneyConfig
from outsidein.settings.load import LoadSpec
from outsidein.settings.outbox import OutboxSettings
from outsidein.sim import simulate
from outsidein.sim.billing_export import FILE as BILLING_FILE
from outsidein.sim.plays import FIRINGS_FILE as PLAYS_FILE
from outsidein.sim.settings import CONFIG_FILE, write_company_config
from outsidein.sim.success_plans import PLANS_FILE
from outsidein.sim.support_export import FILE as SUPPORT_FILE
from outsidein.store import connect
from outsidein.store.config_versions import seed_from_file
from outsidein.team.summary import summary as team_summary
from outsidein.tiers.service import backfill
from outsidein.tiers.summary import summary

BUYERS_SHARE = 4  # one one-off buyer (transactional CLV) per this many subscribers
DEMO_OBSERVATIONS, DEMO_FOLDS = 12, 2  # the demo's model training, kept quick


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _simulated_already(folder: Path, accounts: int, months: int, seed: int) -> bool:
    manifest = folder / "ground_truth" / "manifest.json"
    if not manifest.is_file():
        return False
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    wanted = (accounts, months, seed, accounts // BUYERS_SHARE)
    return (
        meta.get("accounts"),
        meta.get("months"),
        meta.get("seed"),
        meta.get("buyers"),
    ) == wanted


def _first_admin(con: duckdb.DuckDBPyConnection) -> None:
    """The demo's first run creates the admin and prints the credentials (once: they are
    stored only as a hash; `outsidein users reset-password admin` prints new ones)."""
    if count_users(con) > 0:
        console.print(
            "sign in with your users (`outsidein users reset-password admin` sets a new password)",
            highlight=False,
        )
        return
    password = generate_password()
    create_user(con, "admin", Role.ADMIN, password)
    console.print(
        f"sign in as [bold]admin[/] with the password [bold]{password}[/] (shown once)",
        highlight=False,
    )


def _demo_config(data: Path, config_path: Path | None, db: Path) -> Path:
    """The file the demo runs with: the one named or found (``find_config``), else the demo
    company's settings copied beside the store, where ``outsidein serve`` finds them."""
    company_settings = data / CONFIG_FILE
    if not company_settings.is_file():
        write_company_config(data)
    if config_path is not None and config_path.exists():
        console.print(f"[dim]using {config_path}[/]", highlight=False)
        return config_path
    target = config_path or db.parent / CONFIG_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(company_settings, target)
    console.print(
        f"wrote {target}: the demo company's currency rates, value event and key features",
        highlight=False,
    )
    return target


def _demo_predictions(
    con: duckdb.DuckDBPyConnection, analytics: AnalyticsConfig, journey: JourneyConfig
) -> None:
    """Churn and expansion models trained (a year of observations, two backtest folds), every
    account scored: the Predictions page and the account pages' risk (docs/predict.md)."""
    from outsidein.predict.dataset import NotEnoughExamplesError
    from outsidein.predict.service import score_accounts, train_targets
    from outsidein.predict.versions import published

    started = time.perf_counter()
    kept = [published(con, target) for target in ("churn", "expansion")]
    if all(kept):  # a second run: the models stay (`outsidein predict train` retrains)
        scored = score_accounts(con, config=analytics, journey=journey)
        console.print(
            f"predictions: the trained models kept (versions "
            f"{', '.join(str(v.version) for v in kept if v)}); "
            f"{scored.accounts.get('churn', 0):,} accounts scored in "
            f"{time.perf_counter() - started:.0f} s (`outsidein predict train` retrains)",
            highlight=False,
        )
        return
    with _progress() as bar:
        task = bar.add_task("training the churn and expansion models", total=1)
        try:
            runs, scored = train_targets(
                con,
                observations=DEMO_OBSERVATIONS,
                folds=DEMO_FOLDS,
                config=analytics,
                journey=journey,
            )
        except NotEnoughExamplesError as exc:
            console.print(f"predictions: none ({exc.message})", highlight=False)
            return
        bar.update(task, completed=1)
    aucs = ", ".join(f"{r.target} AUC {r.auc:.2f}" for r in runs if r.auc is not None)
    console.print(
        f"predictions: {aucs} in backtests; {scored.accounts.get('churn', 0):,} accounts scored "
        f"in {time.perf_counter() - started:.0f} s (`outsidein predict report`, /predictions)",
        highlight=False,
    )


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(help="Accounts in the simulated company")] = 2000,
    months: Annotated[int, typer.Option(help="Months of history, up to yesterday")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same company")] = 7,
    data: Annotated[Path, typer.Option(help="Where the simulated files go")] = Path(
        "outsidein-data"
    )
    / "demo-company",
    db: DbOption = None,
    host: HostOption = None,
    port: PortOption = None,
    serve: Annotated[bool, typer.Option(help="Start the dashboard when loaded")] = True,
    config: ConfigOption = None,
) -> None:
    """Simulate a B2B SaaS company, load it into the store and open the dashboard."""
    cfg = settings(db, config)
    if _simulated_already(data, accounts, months, seed):
        console.print(f"[dim]simulated company already in {data} (seed {seed})[/]")
    else:
        with _progress() as bar:
            task = bar.add_task("simulating the company", total=None)

            def on_step(step: str, done: int, total: int) -> None:
                bar.update(task, description=f"simulating: {step}", completed=done, total=total)

            # History up to yesterday: the dashboard's "today" is the company's today, with
            # last week's usage in it (the simulator's own default stops at the month start).
            today = datetime.now(UTC).date()
            simulate(
                data, accounts=accounts, months=months, seed=seed, as_of=today, progress=on_step,
                buyers=accounts // BUYERS_SHARE,
            )  # fmt: skip

    config_path = _demo_config(data, cfg.config, cfg.db)
    con = connect(cfg.db, memory_limit=cfg.memory_limit)
    try:
        in_force = seed_from_file(con, config_path)  # the store's version, seeded by the file
        with _progress() as bar:
            task = bar.add_task("loading into the store", total=None)

            def on_file(kind: str, path: Path, index: int, total: int) -> None:
                bar.update(task, description=f"loading {kind}", completed=index, total=total)

            results = load_directory(con, data, on_file=on_file)
            if (data / BILLING_FILE).is_file():  # the billing system's view: /identity
                results.append(load_export(con, "stripe-customers", data / BILLING_FILE))
            if (data / SUPPORT_FILE).is_file():  # the support tool's people: /identity
                results.append(load_support_users(con, data / SUPPORT_FILE))
            bar.update(task, description="loaded", completed=len(results))
        loaded = sum(r.rows_loaded for r in results)
        rejected = sum(r.rows_rejected for r in results if not r.already_loaded)
        console.print(
            f"loaded {loaded:,} new or changed rows from {len(results)} files into {cfg.db}"
            + (f"; [red]{rejected:,} rejected[/] (`outsidein rejects list`)" if rejected else ""),
            highlight=False,
        )
        with _progress() as bar:
            task = bar.add_task("computing the daily account snapshot", total=1)
            # Up to today: a company simulated days ago has had no usage since (it fades).
            snapshot = update_snapshot(con, in_force.config.analytics, utc_today())
            bar.update(task, completed=1)
        console.print(
            f"daily snapshot ({snapshot.mode}): {snapshot.rows:,} account-days, "
            f"{snapshot.first_date} to {snapshot.last_date}, in {snapshot.seconds:.1f} s",
            highlight=False,
        )
        if (data / PLANS_FILE).is_file():  # agreed with the largest customers: /plans
            planted = plant(con, data / PLANS_FILE)
            console.print(
                f"success plans: {planted} agreed with the largest customers "
                "(`outsidein plans list`, /plans)",
                highlight=False,
            )
        with _progress() as bar:  # before health: CLV is one of its inputs
            task = bar.add_task("fitting and scoring CLV", total=1)
            began = time.perf_counter()
            valued = score_clv(con, in_force.config.analytics, utc_today())
            save_clv(con, valued)
            bar.update(task, completed=1)
        buyers = int((valued.scores["family"] == TRANSACTIONAL).sum())
        console.print(
            f"clv: {len(valued.scores):,} accounts valued as of {valued.as_of} "
            f"({buyers:,} one-off buyers by BG/NBD + Gamma-Gamma, "
            f"{len(valued.scores) - buyers:,} subscribers by sBG x ARR) in "
            f"{time.perf_counter() - began:.1f} s (`outsidein clv report`, /clv)"
            + "".join(f"; {note}" for note in valued.skipped),
            highlight=False,
        )
        with _progress() as bar:
            task = bar.add_task("scoring account health", total=1)
            if not con.execute("SELECT count(*) FROM health_scores").fetchall()[0][0]:
                # Every month end of the simulated years first, as a server running then
                # would have: the history has changes to show (My day's drops, the timeline,
                # the movers) and /impact measures the plays' effects on health.
                score_history(
                    con,
                    in_force.config,
                    snapshot.first_date,
                    datetime.now(UTC).date(),
                    progress=lambda done, total: bar.update(task, completed=done, total=total + 1),
                )
            scored = score_now(con, in_force.config)
            bar.update(task, completed=bar.tasks[0].total)
        console.print(
            f"health: {scored.accounts:,} accounts scored on {scored.as_of} "
            f"({scored.written:,} stored; `outsidein health list`)",
            highlight=False,
        )
        with _progress() as bar:  # a year of tier history, a quarter apart, then today
            task = bar.add_task("recording touch tiers", total=1)
            year_ago = scored.as_of.replace(year=scored.as_of.year - 1, day=1)
            backfill(con, in_force.config, year_ago, scored.as_of, every_months=3)
            bar.update(task, completed=1)
        line = summary(con, in_force.config, scored.as_of)
        console.print(f"{line} (`outsidein tiers show`, `outsidein advocates list`)")
        with _progress() as bar:
            task = bar.add_task("computing the demo segments", total=1)
            context = Context.of(in_force.config)
            found = save_demo_segments(con, context)
            bar.update(task, completed=1)
        console.print(
            f"segments: {found.segments} saved, {found.members:,} memberships "
            "(`outsidein segments list`)",
            highlight=False,
        )
        _demo_predictions(con, in_force.config.analytics, in_force.config.journey)
        touches = seed_demo_outbox(con, in_force.config)
        console.print(
            f"outbox: {touches.queued} demo touches (logged, never sent): "
            + ", ".join(f"{n} {state}" for state, n in touches.counts.items() if n),
            highlight=False,
        )
        asked = seed_demo_survey(con, in_force.config)
        if asked.invited and asked.example_token:
            example = survey_link(OutboxSettings().public_url, asked.example_token)
            console.print(
                f"outcome survey {asked.survey_id}: {asked.invited} champions invited, "
                f"{asked.emailed} emails (logged); one contact's form: {example} "
                "(`outsidein jobs survey list`, /outcomes/catalog)",
                highlight=False,
                soft_wrap=True,  # the link in one piece
            )
        elif asked.invited:  # a second run: only the tokens' hashes are kept
            console.print(
                f"outcome survey {asked.survey_id}: {asked.invited} champions invited earlier "
                "(`outsidein jobs survey invite` reissues links; /outcomes/catalog)",
                highlight=False,
            )
        # The playbooks ran ten days ago too: some of those tasks are overdue now (My day).
        now = datetime.now(UTC).replace(tzinfo=None)
        earlier = run_playbooks(
            con, in_force.config, origin="outsidein demo", now=now - timedelta(days=10)
        )
        result = run_playbooks(con, in_force.config, origin="outsidein demo", now=now)
        console.print(
            f"playbooks: {earlier.firings + result.firings:,} firings "
            f"({earlier.held_out + result.held_out:,} held out), "
            f"{earlier.tasks + result.tasks:,} tasks opened (`outsidein tasks list`, /tasks)",
            highlight=False,
        )
        if (data / PLAYS_FILE).is_file():  # the planted plays' history: /impact
            added = import_firings(con, data / PLAYS_FILE)
            console.print(
                f"impact: {added:,} past firings of the planted plays imported "
                "(`outsidein impact list`, /impact)",
                highlight=False,
            )
        console.print(f"{team_summary(con, in_force.config)} (`outsidein team show`, /team)",
                      highlight=False)  # fmt: skip
        console.print(f"{journey_summary(con, in_force.config.journey)} "
                      "(`outsidein journey interruptions`, /journey/interruptions)",
                      highlight=False)  # fmt: skip
        _first_admin(con)
    finally:
        con.close()

    if serve:
        from outsidein.web import serve as run_server

        address = host or cfg.host
        port_number = port or cfg.port

        def announce() -> None:
            console.print(
                f"[bold green]Outside-In is running at http://{address}:{port_number}/[/] "
                "(Ctrl+C to stop)",
                highlight=False,
            )

        run_server(
            cfg.db,
            address,
            port_number,
            memory_limit=cfg.memory_limit,
            on_open=announce,
            config_path=config_path,
        )


def load_support_users(con: duckdb.DuckDBPyConnection, path: Path) -> LoadResult:
    """The simulated Zendesk users export, as a user loads it: Zendesk's ids, the declared
    key ``email`` (docs/identity.md, "Contacts")."""
    return load_file(
        con,
        "contacts",
        path,
        id_system="zendesk",
        mapping={"id": "contact_id", "organization_id": "account_id", "iana_time_zone": "timezone"},
        transforms=LoadSpec(
            link_key="email", values={"role": {"end-user": "user"}}, keep_extra=False
        ),
    )
