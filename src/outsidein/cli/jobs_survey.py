"""``outsidein jobs survey create|list|template|invite|import``: outcome surveys, their CSV
instrument, the invitations' links (and emails through the outbox) and filled CSVs
(docs/jobs.md#surveys). They write the store as ``outsidein jobs catalog import`` does; the
same work through a running server is ``/api/v1/jobs/outcome-surveys/...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from outsidein.cli.app import ConfigOption, DbOption, console, err_console, settings
from outsidein.cli.health import _config
from outsidein.cli.jobs import jobs_app
from outsidein.errors import LoadError
from outsidein.jobs.instrument import SurveyImportError, import_csv, template_csv
from outsidein.jobs.surveys import create_survey, get_survey, invite, links_csv, list_surveys
from outsidein.outbox.surveys import send_invitations
from outsidein.settings.outbox import OutboxSettings
from outsidein.store import connect

survey_app = typer.Typer(
    name="survey",
    help="Outcome surveys: create one, its CSV template, invitations, import filled CSVs.",
    no_args_is_help=True,
)
jobs_app.add_typer(survey_app)

SurveyArg = Annotated[str, typer.Argument(help="The survey's id (e.g. 2026-q4)")]
OutOption = Annotated[Path | None, typer.Option("--out", help="A .csv file [stdout]")]


def _write(text: str, out: Path | None, what: str) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {what} to {out}", highlight=False)


@survey_app.command("create")
def create_command(
    survey: SurveyArg,
    title: Annotated[str | None, typer.Option(help="What respondents see")] = None,
    outcome: Annotated[
        list[str] | None, typer.Option("--outcome", help="An outcome to ask (repeat) [all]")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="The order's seed [random]")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a survey over the catalog's outcomes in a seeded random order (recorded)."""
    con = connect(settings(db, config).db)
    try:
        made = create_survey(con, survey, title=title, outcome_ids=outcome, seed=seed)
    finally:
        con.close()
    console.print(
        f"survey {made.survey_id}: {len(made.outcome_ids)} outcomes in the order "
        f"of seed {made.seed}: {', '.join(made.outcome_ids)}",
        highlight=False,
    )


@survey_app.command("list")
def list_command(db: DbOption = None, config: ConfigOption = None) -> None:
    """Every survey: outcomes, seed, invited and submitted."""
    con = connect(settings(db, config).db, read_only=True)
    try:
        found = list_surveys(con)
    finally:
        con.close()
    for s in found:
        console.print(
            f"{s.survey_id}: {len(s.outcome_ids)} outcomes, seed {s.seed}, "
            f"{s.invited} invited, {s.submitted} submitted — {s.title}",
            highlight=False,
        )
    if not found:
        console.print("no outcome survey yet: `outsidein jobs survey create ID`")


@survey_app.command("template")
def template_command(
    survey: SurveyArg,
    blank: Annotated[bool, typer.Option("--blank", help="The header alone")] = False,
    out: OutOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The instrument as CSV: importance and satisfaction 1-5 per outcome, in the survey's
    order, a row per invited contact (or every contact with an email address)."""
    con = connect(settings(db, config).db, read_only=True)
    try:
        text = template_csv(con, survey, blank=blank)
    finally:
        con.close()
    _write(text, out, "the survey's template")


@survey_app.command("invite")
def invite_command(
    survey: SurveyArg,
    account: Annotated[str | None, typer.Option(help="Only this account's contacts")] = None,
    contact: Annotated[
        list[str] | None, typer.Option("--contact", help="Only these contacts (repeat)")
    ] = None,
    days: Annotated[int, typer.Option(help="How long the links work")] = 30,
    reissue: Annotated[bool, typer.Option(help="New links for invited contacts too")] = False,
    send: Annotated[bool, typer.Option(help="Email each link through the outbox")] = False,
    out: OutOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Invite contacts: writes the links as CSV (shown once: the store keeps only the tokens'
    hashes) and, with --send, queues an email each (template `survey_invitation`)."""
    chosen = settings(db, config)
    delivery = OutboxSettings()
    con = connect(chosen.db)
    try:
        found = get_survey(con, survey)
        con.execute("BEGIN TRANSACTION")
        try:
            issued = invite(
                con, found.survey_id, account=account, contacts=contact, days=days, reissue=reissue
            )
            queued = 0
            if send:
                current = _config(con, chosen.config, write=False)
                queued = send_invitations(con, found, issued, current, delivery)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    _write(links_csv(found, issued, delivery.public_url), out, f"{len(issued)} links")
    if send:
        console.print(f"{queued} invitation emails queued in the outbox", highlight=False)


@survey_app.command("import")
def import_command(
    survey: SurveyArg,
    file: Annotated[Path, typer.Argument(help="The filled template (.csv)")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Import filled answers into survey_responses (all or nothing; each problem named)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"{file}: cannot be read ({exc})") from None
    con = connect(settings(db, config).db)
    try:
        stored = import_csv(con, survey, text, str(file))
    except SurveyImportError as exc:
        for p in exc.details["problems"]:
            err_console.print(
                f"{file} line {p['line']}, {p['field']} = {p['value']!r}: {p['fix']}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        err_console.print("nothing was imported", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    finally:
        con.close()
    console.print(f"imported {stored} answers from {file} into survey {survey}", highlight=False)
