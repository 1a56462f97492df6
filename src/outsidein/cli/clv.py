"""``outsidein clv fit|score|report``: customer lifetime value in the terminal.

``fit`` fits the models on the store's data and prints the estimates (nothing written);
``score`` fits and writes every account's value back to the store (clv_scores, clv_fits);
``report`` reads the last scores: the model family per account, the top accounts, the RFM
groups and, with ``--holdout``, the calibration/holdout check of the transactional model.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from outsidein.analytics.today import utc_today
from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.health import _config
from outsidein.cli.metrics import _date
from outsidein.cli.server_client import Server, open_for_writing
from outsidein.clv import portfolio, report, saved
from outsidein.errors import NotFoundError
from outsidein.store import connect

clv_app = typer.Typer(
    name="clv", help="Customer lifetime value: fit, score, report.", no_args_is_help=True
)
app.add_typer(clv_app)

AsOf = Annotated[str | None, typer.Option("--as-of", help="Score as of this day [today]")]
Discount = Annotated[
    float, typer.Option("--discount", min=0.0, max=1.0, help="Annual discount rate")
]
Horizon = Annotated[
    int, typer.Option("--months", min=1, max=120, help="Transactional CLV horizon, months")
]


def _instead(server: Server) -> str:
    return "stop the server, run `outsidein clv score`, then start it again"


def _fit(db: DbOption, config: ConfigOption, as_of: str | None, discount: float, months: int,
         write: bool) -> portfolio.Portfolio:  # fmt: skip
    chosen = settings(db, config)
    day = _date(as_of, "--as-of") or utc_today()
    con = open_for_writing(chosen.db, "clv score", _instead, chosen.memory_limit)
    try:
        current = _config(con, chosen.config, write=False)
        with console.status("fitting the CLV models..."):
            result = portfolio.score(con, current.analytics, day, discount, months)
            if write:
                saved.save(con, result)
    finally:
        con.close()
    return result


def _print_fits(result: portfolio.Portfolio) -> None:
    table = Table("model", "estimates (standard error)", "log-likelihood", "converged", "n")
    for name, fit in result.fits.items():
        est = ", ".join(
            f"{k} {v:.4g} ({s:.2g})" for k, v, s in zip(fit.names, fit.params, fit.se, strict=True)
        )
        table.add_row(name, est, f"{fit.loglik:.2f}", "yes" if fit.converged else "NO", str(fit.n))
    console.print(table)
    for note in result.skipped:
        console.print(f"[yellow]{note}[/]", highlight=False)


@clv_app.command("fit")
def fit_command(
    as_of: AsOf = None, discount: Discount = 0.10, months: Horizon = 36,
    db: DbOption = None, config: ConfigOption = None,
) -> None:  # fmt: skip
    """Fit BG/NBD, Gamma-Gamma and the sBG per billing period; print the estimates."""
    _print_fits(_fit(db, config, as_of, discount, months, write=False))


@clv_app.command("score")
def score_command(
    as_of: AsOf = None, discount: Discount = 0.10, months: Horizon = 36,
    db: DbOption = None, config: ConfigOption = None,
) -> None:  # fmt: skip
    """Fit and write every account's CLV back to the store."""
    result = _fit(db, config, as_of, discount, months, write=True)
    _print_fits(result)
    console.print(f"scored {len(result.scores):,} accounts as of {result.as_of}")


@clv_app.command("report")
def report_command(
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Accounts listed")] = 10,
    holdout: Annotated[
        int, typer.Option("--holdout", min=0, max=104, help="Holdout weeks (0: no check)")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the CLV page's figures as JSON (the API's)")
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The last scores: families, top accounts, P(alive) by frequency and recency, RFM
    groups, projected retention and, with ``--holdout``, the holdout check."""
    chosen = settings(db, config)
    con = connect(chosen.db, read_only=True)
    try:
        r = report.overview(con, top=top)
        if r.as_of is None:
            raise NotFoundError("no CLV scores yet: run `outsidein clv score` first")
        check = portfolio.holdout(con, r.as_of, holdout) if holdout else None
    finally:
        con.close()
    if as_json:
        found = {**asdict(r), "holdout": None if check is None else check.as_dict()}
        console.print_json(json.dumps(found, default=str))
        return
    console.print(f"CLV as of {r.as_of}: {r.accounts:,} accounts, total {r.total:,.0f}")
    for f in r.families:
        console.print(f"  {f['family']}: {f['accounts']:,} accounts, {f['clv']:,.0f}")
    table = Table("account", "family", "CLV", "P(alive)", "P(renew)", "RFM group")
    for t in r.top:
        table.add_row(t["account_id"], t["family"], f"{t['clv']:,.0f}", _pct(t["p_alive"]),
                      _pct(t["p_renew"]), t["rfm_segment"] or "")  # fmt: skip
    console.print(table)
    if r.heatmap:
        cells = ", ".join(f"{c['frequency']}/{c['recency']} {c['p_alive']:.0%}" for c in r.heatmap)
        console.print(f"P(alive) by repeat purchases / weeks since the last: {cells}")
    if r.rfm_groups:
        console.print(
            "RFM groups: " + ", ".join(f"{g['group']} {g['accounts']}" for g in r.rfm_groups)
        )
    for m in r.retention:
        shown = ", ".join(f"{p['survival']:.0%}" for p in m["periods"][:7])
        console.print(f"{m['model']} projected retention (periods 0-6): {shown}")
    if check is not None:
        console.print(
            f"holdout {holdout} weeks: predicted {check.predicted:,.1f} repeat transactions"
            f"{_band(check.predicted_low, check.predicted_high)}, actual {check.actual:,.0f} "
            f"({check.error:+.1%}) over {check.customers:,} accounts"
        )


def _band(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" (90 % interval {low:,.1f} to {high:,.1f})"


def _pct(v: float | None) -> str:
    return "" if v is None or v != v else f"{v:.0%}"
