"""``outsidein jobs ...``: opportunity scores, trends, needs segments, the catalog and the
statement linter (docs/jobs.md#cli).

The same readings as ``/api/v1/jobs/...`` (shaped by the API's models); while ``outsidein
serve`` holds the store, that server answers the reads.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.health import _config
from outsidein.cli.metrics import Out, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.errors import LoadError
from outsidein.jobs.business import churn_link
from outsidein.jobs.catalog import export_yaml, import_yaml
from outsidein.jobs.landscape import trends
from outsidein.jobs.service import landscape, needs_segments
from outsidein.jobs.statements import lint
from outsidein.store import connect
from outsidein.web.schemas.outcomes import (
    LandscapeOut,
    OutcomeLinkOut,
    SegmentationOut,
    TrendOut,
)

jobs_app = typer.Typer(
    name="jobs",
    help="Jobs to be done: opportunity scores, trends, needs segments, the catalog.",
    no_args_is_help=True,
)
app.add_typer(jobs_app)
catalog_app = typer.Typer(name="catalog", help="Import or export the jobs catalog (YAML).",
                          no_args_is_help=True)  # fmt: skip
jobs_app.add_typer(catalog_app)

By = Annotated[
    Literal["segment", "tier", "account", "needs"] | None,
    typer.Option("--by", help="Split by account segment, touch tier, account or needs segment"),
]
Survey = Annotated[str | None, typer.Option("--survey", help="An outcome survey [the latest]")]
SCORE_COLUMNS = [
    "outcome_id",
    "group",
    "respondents",
    "importance",
    "satisfaction",
    "opportunity",
    "opportunity_low",
    "opportunity_high",
    "band",
    "statement",
]


def _flat(score: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in score.items() if not k.endswith("_ci")}
    for name in ("importance", "satisfaction", "opportunity"):
        ci = score.get(f"{name}_ci") or {}
        out[f"{name}_low"], out[f"{name}_high"] = ci.get("low"), ci.get("high")
    names = ("importance", "satisfaction", "opportunity")
    for k in [*names, *(f"{n}_{e}" for n in names for e in ("low", "high"))]:
        if out.get(k) is not None:
            out[k] = round(float(out[k]), 2)
    return out


@jobs_app.command("scores")
def scores_command(
    by: By = None,
    group: Annotated[str | None, typer.Option(help="The group of --by [every group]")] = None,
    survey: Survey = None,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Importance, satisfaction and opportunity of each outcome with 95 % intervals."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            ask = {"by": by, "group": group, "survey": survey}
            first = LandscapeOut.model_validate(store.get("/api/v1/jobs/opportunities", ask))
            found = [first]
            if by and group is None:
                path = "/api/v1/jobs/opportunities"
                found = [
                    LandscapeOut.model_validate(store.get(path, {**ask, "group": g}))
                    for g in first.groups
                ]
        else:
            current = _config(store, chosen.config, write=False)
            first = LandscapeOut.of(landscape(store, current, by=by, group=group, survey=survey))
            found = [first]
            if by and group is None:
                found = [
                    LandscapeOut.of(landscape(store, current, by=by, group=g, survey=survey))
                    for g in first.groups
                ]
    rows = [_flat(s.model_dump()) for f in found for s in f.scores]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in SCORE_COLUMNS})
    if out is None:
        console.print(f"{first.survey or 'no outcome survey'}: opportunity = importance + "
                      f"max(importance - satisfaction, 0); fewer than {first.min_respondents} "
                      "respondents: too few respondents", highlight=False)  # fmt: skip
    _show(table, "outcomes by opportunity", out, SCORE_COLUMNS)


@jobs_app.command("trends")
def trends_command(
    before: Annotated[str | None, typer.Option(help="The earlier survey [the one before]")] = None,
    after: Annotated[str | None, typer.Option(help="The later survey [the latest]")] = None,
    by: Annotated[
        Literal["segment", "tier", "account"] | None,
        typer.Option("--by", help="Split by account segment, touch tier or account"),
    ] = None,
    around: Annotated[
        datetime | None,
        typer.Option(help="A day (a release): the waves either side of it", formats=["%Y-%m-%d"]),
    ] = None,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """How satisfaction with each outcome changed between two waves, with 95 % intervals."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            day = None if around is None else around.date().isoformat()
            raw = store.get(
                "/api/v1/jobs/trends", {"before": before, "after": after, "by": by, "around": day}
            )
            found = [TrendOut.model_validate(t) for t in raw]
        else:
            found = [
                TrendOut.of(t)
                for t in trends(
                    store, before=before, after=after, by=by,
                    around=None if around is None else around.date(),
                )
            ]  # fmt: skip
    rows = []
    for t in found:
        row = t.model_dump(exclude={"satisfaction_change_ci", "opportunity_change_ci"})
        ci = t.satisfaction_change_ci
        row["satisfaction_change_low"] = None if ci is None else round(ci.low, 2)
        row["satisfaction_change_high"] = None if ci is None else round(ci.high, 2)
        rows.append(row)
    columns = ["outcome_id", *(["group"] if by else []), "before", "after",
               "satisfaction_change", "satisfaction_change_low", "satisfaction_change_high",
               "significant", "statement"]  # fmt: skip
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})
    _show(table, "change in satisfaction, largest rise first", out, columns)


@jobs_app.command("segments")
def segments_command(
    survey: Survey = None, out: Out = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """Needs-based segments: size, stability, ARR, health, churn and top under-served."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = SegmentationOut.model_validate(
                store.get("/api/v1/jobs/segments", {"survey": survey})
            )
        else:
            current = _config(store, chosen.config, write=False)
            found = SegmentationOut.of(needs_segments(store, current, survey=survey))
    rows = [
        {
            "segment": s.segment, "respondents": s.respondents, "accounts": s.accounts,
            "stability": round(s.stability, 2), "arr": s.arr,
            "health": None if s.health is None else round(s.health, 1),
            "churn_rate": None if s.churn_rate is None else round(s.churn_rate, 3),
            "top_underserved": s.underserved[0].statement if s.underserved else None,
        }
        for s in found.segments
    ]  # fmt: skip
    if out is None:
        console.print(f"{found.survey}: k = {found.k} by the highest mean silhouette "
                      f"({found.silhouettes[str(found.k)]:.2f})", highlight=False)  # fmt: skip
    _show(pa.Table.from_pylist(rows), "needs segments", out)


@jobs_app.command("churn-link")
def churn_link_command(
    survey: Survey = None, out: Out = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """Which unmet outcomes cost revenue: churn of unsatisfied minus satisfied accounts."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            raw = store.get("/api/v1/jobs/churn-link", {"survey": survey})
            found = [OutcomeLinkOut.model_validate(x) for x in raw]
        else:
            current = _config(store, chosen.config, write=False)
            found = [OutcomeLinkOut.of(x) for x in churn_link(store, current, survey=survey)]
    rows = []
    named = ("churn_difference", "expansion_difference", "health_difference")
    for x in found:
        row = x.model_dump(exclude={f"{n}_ci" for n in named})
        for n in named:
            ci = getattr(x, f"{n}_ci")
            row[f"{n}_low"] = None if ci is None else round(ci.low, 3)
            row[f"{n}_high"] = None if ci is None else round(ci.high, 3)
        rows.append(row)
    columns = ["outcome_id", "satisfied", "unsatisfied", "churn_difference",
               "churn_difference_low", "churn_difference_high", "expansion_difference",
               "expansion_difference_low", "expansion_difference_high", "health_difference",
               "health_difference_low", "health_difference_high", "statement"]  # fmt: skip
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})
    _show(table, "churn, expansion and health, unsatisfied minus satisfied accounts", out,
          columns)  # fmt: skip


@catalog_app.command("export")
def export_command(
    out: Annotated[Path | None, typer.Option("--out", help="A .yaml file [stdout]")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the jobs catalog as YAML (jobs, steps, outcome statements)."""
    chosen = settings(db, config)
    con = connect(chosen.db, read_only=True)
    try:
        text = export_yaml(con)
    finally:
        con.close()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote the catalog to {out}", highlight=False)


@catalog_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A catalog .yaml file")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add or replace jobs, steps and outcomes from a YAML file; warn about weak statements."""
    chosen = settings(db, config)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"{file}: cannot be read ({exc})") from None
    con = connect(chosen.db)
    try:
        done = import_yaml(con, text, str(file))
    finally:
        con.close()
    console.print(f"imported {done.jobs} jobs, {done.steps} steps and {done.outcomes} "
                  f"outcomes from {file}", highlight=False)  # fmt: skip
    for outcome, finding in done.warnings:
        console.print(f"warning: {outcome}: {finding.reason}", highlight=False)


@jobs_app.command("lint")
def lint_command(
    statements: Annotated[list[str], typer.Argument(help="Desired-outcome statements")],
) -> None:
    """Say what is wrong with outcome statements (exit 1 when any has a warning)."""
    bad = 0
    for text in statements:
        found = lint(text)
        bad += bool(found)
        console.print(f"{'ok' if not found else 'warn'}: {text}", highlight=False)
        for f in found:
            console.print(f"  {f.rule}: {f.reason}", highlight=False)
    if bad:
        raise typer.Exit(1)
