"""A simulated B2B SaaS company with ground truth, deterministic by seed.

``simulate`` writes one Parquet file per canonical table (events as a folder of parts) plus
``ground_truth/`` describing what really drove the data: latent health per account-month,
churn and its drivers, needs segments and a randomized intervention with a known effect.
Demo data, test fixtures and benchmarks all come from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa

from outsidein import __version__
from outsidein.errors import ConfigError
from outsidein.sim import (
    crm,
    interrupts,
    lifecycle,
    purchases,
    revenue,
    service,
    staffing,
    surveys,
    truth,
    usage,
)
from outsidein.sim.billing_export import write_billing_customers
from outsidein.sim.calendar import first_of_current_month, make_window
from outsidein.sim.company import make_company
from outsidein.sim.journey import Touches
from outsidein.sim.needs import make_needs
from outsidein.sim.people import make_contacts
from outsidein.sim.plays import PlayPlan, churn_play
from outsidein.sim.settings import write_company_config
from outsidein.sim.success_plans import write_success_plans
from outsidein.sim.support_export import write_support_users
from outsidein.sim.world import simulate_world
from outsidein.sim.writer import TableSink, write_table
from outsidein.store.tables import LOAD_ORDER

__all__ = ["FORMAT_VERSION", "KINDS", "ProgressCallback", "SimulationSummary", "simulate"]

FORMAT_VERSION = 1
# One file per canonical table, in the order references need when loading.
KINDS = LOAD_ORDER
ProgressCallback = Callable[[str, int, int], None]
# tables written a batch at a time: id prefix, id digits, the column dated before as_of
NUMBERED = {
    "invoices": ("INV-", 9, "issued_at"),
    "touchpoints": ("TP-", 9, "at"),
    "cases": ("CASE-", 8, "opened_at"),
    "case_assignments": ("ASG-", 9, "assigned_at"),
    "survey_responses": ("RSP-", 9, "answered_at"),
}


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation wrote: row counts per table and where each file is."""

    out: Path
    seed: int
    accounts: int
    months: int
    as_of: date
    counts: dict[str, int]
    paths: dict[str, Path]  # kind -> file (events -> the folder of parts)
    event_parts: list[Path] = field(default_factory=list)
    ground_truth: dict[str, Path] = field(default_factory=dict)
    firings: Path | None = None  # the planted plays' firings (outsidein.sim.plays)


def simulate(
    out: Path,
    *,
    accounts: int = 2000,
    months: int = 24,
    seed: int = 7,
    as_of: date | None = None,
    progress: ProgressCallback | None = None,
    events_per_user_day: float = 0.1,
    events_per_part: int = 5_000_000,
    plays: bool = True,
    buyers: int = 0,
) -> SimulationSummary:
    """Simulate ``accounts`` customers over the ``months`` months before ``as_of``.

    ``as_of`` defaults to the first day of the current UTC month; nothing written is dated
    on or after it. ``events_per_user_day`` scales product usage (tracked events per active
    user on a working day at average health). ``plays=False``: without the planted plays
    (sim/plays.py): no extra users and no churn play, the world as it was without them.
    ``buyers``: one-off buyers beside the subscribers (sim/purchases.py: a planted BG/NBD
    stream of invoices without a subscription, for the transactional CLV). Same arguments,
    same bytes.
    """
    if accounts < 1:
        raise ConfigError("accounts must be at least 1")
    if months < 3:
        raise ConfigError("months must be at least 3")
    if events_per_user_day < 0:
        raise ConfigError("events_per_user_day must not be negative")
    if buyers < 0:
        raise ConfigError("buyers must not be negative")
    if events_per_part < 1:
        raise ConfigError("events_per_part must be at least 1")
    as_of = as_of or first_of_current_month()
    if as_of > datetime.now(UTC).date() + timedelta(days=1):
        raise ConfigError(f"as_of {as_of} is in the future")

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    events_dir = out / "events"
    for old in sorted(events_dir.glob("part-*.parquet")):
        old.unlink()
    window = make_window(as_of, months)
    report("world", 0, 1)
    needs = make_needs(seed)
    company = make_company(seed, accounts, window, needs)
    world = simulate_world(seed, company, needs, window, churn_play(window) if plays else None)
    people = make_contacts(seed, world)
    report("world", 1, 1)

    paths = {kind: out / f"{kind}.parquet" for kind in KINDS}
    paths["events"] = events_dir
    counts: dict[str, int] = {}
    counts["csms"] = write_table(paths["csms"], "csms", _cols(staffing.csms_table(company)))
    accounts_table = company.accounts_table()
    width = max(6, len(str(company.n + buyers)))
    bought = purchases.make_buyers(seed, buyers, window, company.n, width)
    if buyers:
        accounts_table = pa.concat_tables(
            [accounts_table, purchases.accounts_table(bought, accounts_table)]
        )
    counts["accounts"] = write_table(paths["accounts"], "accounts", _cols(accounts_table))
    counts["contacts"] = write_table(paths["contacts"], "contacts", _cols(people.table))
    for kind, table in surveys.catalog_tables().items():
        counts[kind] = write_table(paths[kind], kind, _cols(table))
    counts["contracts"] = write_table(
        paths["contracts"], "contracts", _cols(revenue.contracts_table(seed, world))
    )
    counts["subscriptions"] = write_table(
        paths["subscriptions"], "subscriptions", _cols(revenue.subscriptions_table(world))
    )

    end_us = window.end_us
    sinks = {
        kind: TableSink(
            paths[kind], kind, id_prefix=prefix, id_width=width, time_column=when, end_us=end_us
        )
        for kind, (prefix, width, when) in NUMBERED.items()
    }
    touches = Touches(sinks["touchpoints"], world, people)
    revenue.invoices(seed, world, sinks["invoices"], touches, partial(report, "invoices"))
    purchases.invoices(bought, sinks["invoices"])  # after: the subscribers' ids stay as they were
    lifecycle.acquisition(seed, world, touches)
    lifecycle.milestones(seed, world, touches)
    lifecycle.routine(seed, world, touches, lambda d: report("touchpoints", d, months))
    survey_sink = sinks["survey_responses"]
    handoff_truth: list[pa.Table] = []
    planted: list[pa.Table] = []
    service.cases(
        seed,
        world,
        sinks["cases"],
        touches,
        survey_sink,
        lambda d: report("cases", d, months),
        assignments=sinks["case_assignments"],
        handoff_truth=handoff_truth,
        planted=planted,
    )
    report("surveys", 0, 1)
    surveys.nps(seed, world, people, survey_sink)
    surveys.outcome_survey(seed, world, people, survey_sink)
    surveys.pulse_nps(seed, world, people, survey_sink)  # last: the ids before stay as they were
    report("surveys", 1, 1)
    for kind, sink in sinks.items():
        counts[kind] = sink.close()

    event_sink = TableSink(
        events_dir,
        "events",
        part_rows=events_per_part,
        dictionary=("event", "properties"),
        end_us=end_us,
        background=True,
    )
    first_extra_user = int(world.seats.max(axis=1).sum()) if world.company.n else 0
    plan = PlayPlan(world, seed, first_extra_user, enabled=plays)
    usage.events(
        seed,
        world,
        event_sink,
        events_per_user_day=events_per_user_day,
        progress=partial(report, "events"),
        plays=plan,
    )
    counts["events"] = event_sink.close()
    churn_columns, churn_truth = crm.churn_records(seed, world)
    counts["churn_records"] = write_table(paths["churn_records"], "churn_records", churn_columns)
    usage_columns, usage_truth = crm.usage_counts(seed, world)
    counts["usage_daily"] = write_table(paths["usage_daily"], "usage_daily", usage_columns)

    report("ground truth", 0, 1)
    gt = out / "ground_truth"
    truths = {
        "accounts": gt / "accounts.parquet",
        "health": gt / "health.parquet",
        "interventions": gt / "interventions.json",
        "needs_segments": gt / "needs_segments.json",
        "advocates": gt / "advocates.parquet",
        "manifest": gt / "manifest.json",
        "crm": gt / "crm.json",
        "plays": gt / "plays.json",
        "team": gt / "team.parquet",
        "handoffs": gt / "handoffs.parquet",
        "churn_risk": gt / "churn_risk.parquet",
        "success_plans": gt / "success_plans.json",
        "stages": gt / "stages.parquet",
        "interruptions": gt / "interruptions.parquet",
        "purchases": gt / "purchases.json",
        "buyers": gt / "buyers.parquet",
    }
    truth.write_accounts(truths["accounts"], world, touches.broken)
    truth.write_health(truths["health"], world)
    truth.write_churn_risk(truths["churn_risk"], world)
    truth.write_interventions(truths["interventions"], world)
    truth.write_needs(truths["needs_segments"], seed, world)
    truth.write_advocates(truths["advocates"], seed, world, people)
    crm.write_truth(truths["crm"], churn_truth, usage_truth)
    firings = plan.write(out, truths["plays"])
    staffing.write_truth(truths["team"], company)
    truth.write_handoffs(truths["handoffs"], handoff_truth)
    write_success_plans(world, out, truths["success_plans"])
    truth.write_stages(truths["stages"], world, touches.first_pre)
    interrupts.write_truth(truths["interruptions"], planted)
    truth.write_purchases(truths["purchases"], truths["buyers"], bought)
    params = {
        "version": __version__,
        "format_version": FORMAT_VERSION,
        "generator": "outsidein.sim",
        "seed": seed,
        "accounts": accounts,
        "months": months,
        "events_per_user_day": events_per_user_day,
        "events_per_part": events_per_part,
        "buyers": buyers,
        "files": {k: str(p.relative_to(out)) for k, p in paths.items()},
    }
    ordered = {k: counts[k] for k in KINDS}
    truth.write_manifest(truths["manifest"], world, params, ordered)
    write_company_config(out)
    write_billing_customers(out, company.accounts_table())
    write_support_users(out, people.table)
    report("ground truth", 1, 1)
    return SimulationSummary(
        out=out,
        seed=seed,
        accounts=accounts,
        months=months,
        as_of=as_of,
        counts=ordered,
        paths=paths,
        event_parts=list(event_sink.parts),
        ground_truth=truths,
        firings=firings,
    )


def _cols(table: pa.Table) -> dict[str, pa.ChunkedArray]:
    return {name: table.column(name) for name in table.column_names}
