"""``outsidein simulate``: write a simulated B2B SaaS company (with ground truth) to files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable

from outsidein.analytics.today import report_dates
from outsidein.cli.app import app, console
from outsidein.sim import simulate as run_simulation


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2025-07-01") from exc


@app.command()
def simulate(
    accounts: Annotated[int, typer.Option(help="Accounts in the simulated company")] = 2000,
    months: Annotated[int, typer.Option(help="Months of history before --as-of")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same files")] = 7,
    out: Annotated[Path, typer.Option(help="Folder the files are written to")] = Path(
        "outsidein-data"
    )
    / "simulated",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="YYYY-MM-DD; everything is dated before it [default: 1st of this month, UTC]",
        ),
    ] = None,
    events_per_user_day: Annotated[
        float,
        typer.Option(help="Product events per active user and working day (scales event volume)"),
    ] = 0.1,
    buyers: Annotated[
        int,
        typer.Option(min=0, help="One-off buyers beside the subscribers (transactional CLV)"),
    ] = 0,
) -> None:
    """Simulate a B2B SaaS company: one Parquet file per table, plus ground_truth/."""
    cutoff = _as_of(as_of)
    if cutoff is not None:
        report_dates(None, cutoff, data_last_day=None)  # refuses a future or ancient day
    with Progress(
        TextColumn("[bold]{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def on_step(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            summary = run_simulation(
                out,
                accounts=accounts,
                months=months,
                seed=seed,
                as_of=cutoff,
                progress=on_step,
                events_per_user_day=events_per_user_day,
                buyers=buyers,
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc

    table = RichTable(title=f"Simulated company (seed {seed}, as of {summary.as_of})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("written to")
    for kind, count in summary.counts.items():
        path = summary.paths[kind]
        parts = len(summary.event_parts)
        where = f"{path}/ ({parts} part{'s' * (parts != 1)})" if kind == "events" else str(path)
        table.add_row(kind, f"{count:,}", where)
    table.add_row("ground truth", "", str(summary.out / "ground_truth"))
    console.print(table)
