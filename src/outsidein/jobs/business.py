"""Outcomes tied to the business: each account's ARR, health and whether it churned, read
from the fields every capability shares (the segment field registry), so the numbers are
the analytics' and health's own; and, per outcome, how its satisfaction relates to churn,
expansion and health ("which unmet outcomes cost us revenue"), each with a 95 % bootstrap
interval and no figure below :data:`MIN_ACCOUNTS` accounts a side. They are associations
between groups of accounts, not effects: accounts unhappy with an outcome may differ in other
ways (docs/jobs.md#link-to-the-business)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from outsidein.config import OutsideInConfig
from outsidein.jobs.answers import answers, waves
from outsidein.jobs.landscape import JobsQueryError
from outsidein.jobs.scoring import TOP_BOX, Interval
from outsidein.segments.evaluate import gather
from outsidein.segments.fields import Context
from outsidein.segments.language import catalogue

__all__ = ["OutcomeLink", "account_facts", "churn_link"]

FACTS = ("arr", "health", "lifecycle_status")


def account_facts(
    con: duckdb.DuckDBPyConnection, config: OutsideInConfig, as_of: date
) -> pd.DataFrame:
    """``account_id, arr, health, churned`` for every account on ``as_of``."""
    context = Context.of(config)
    fields = catalogue(con, context)
    names = [n for n in FACTS if n in fields.fields]
    table = gather(con, as_of, names, fields, context).to_pandas()
    for n in FACTS:
        if n not in table:
            table[n] = None
    table["arr"] = pd.to_numeric(table["arr"], errors="coerce")
    table["health"] = pd.to_numeric(table["health"], errors="coerce")
    table["churned"] = table["lifecycle_status"] == "churned"
    return table[["account_id", "arr", "health", "churned"]]


MIN_ACCOUNTS = 30  # accounts on each side of a link below which there is no figure
LINK_DRAWS = 2000
EXPANSION = 1.10  # grew its ARR by 10 % or more since the survey (predict's label's share)


def _mean_difference(rng: np.random.Generator, sat: np.ndarray, unsat: np.ndarray) -> Interval:
    """95 % bootstrap interval of mean(unsat) - mean(sat), each side resampled on its own."""
    a = rng.choice(sat, size=(LINK_DRAWS, len(sat))).mean(axis=1)
    b = rng.choice(unsat, size=(LINK_DRAWS, len(unsat))).mean(axis=1)
    low, high = np.quantile(b - a, [0.025, 0.975])
    return Interval(float(low), float(high))


def _with_expansion_and_health(
    link: OutcomeLink, sat: pd.DataFrame, unsat: pd.DataFrame, rng: np.random.Generator
) -> OutcomeLink:
    """The link's health interval and its expansion figures, where each side has enough."""
    hs, hu = sat["health"].dropna().to_numpy(float), unsat["health"].dropna().to_numpy(float)
    if len(hs) >= MIN_ACCOUNTS and len(hu) >= MIN_ACCOUNTS:
        link = replace(link, health_difference_ci=_mean_difference(rng, hs, hu))
    paying_s = sat[sat["arr_then"].fillna(0) > 0]
    paying_u = unsat[unsat["arr_then"].fillna(0) > 0]
    if len(paying_s) < MIN_ACCOUNTS or len(paying_u) < MIN_ACCOUNTS:
        return link
    es = (paying_s["arr"].fillna(0) >= EXPANSION * paying_s["arr_then"]).to_numpy(float)
    eu = (paying_u["arr"].fillna(0) >= EXPANSION * paying_u["arr_then"]).to_numpy(float)
    return replace(
        link,
        expansion_satisfied=float(es.mean()),
        expansion_unsatisfied=float(eu.mean()),
        expansion_difference=float(eu.mean() - es.mean()),
        expansion_difference_ci=_mean_difference(rng, es, eu),
    )


@dataclass(frozen=True)
class OutcomeLink:
    """How satisfaction with one outcome relates to churn and health: accounts satisfied
    (their respondents' mean satisfaction 4 or more) against the rest."""

    outcome_id: str
    statement: str
    satisfied: int  # accounts
    unsatisfied: int
    churn_satisfied: float | None
    churn_unsatisfied: float | None
    churn_difference: float | None  # unsatisfied minus satisfied
    churn_difference_ci: Interval | None
    health_difference: float | None  # unsatisfied minus satisfied, mean health now
    arr_unsatisfied: float | None  # ARR now of the unsatisfied accounts still customers
    health_difference_ci: Interval | None = None
    # Expansion: ARR now at least EXPANSION x ARR on the survey's last day, among accounts
    # paying then (a share of each side), unsatisfied minus satisfied.
    expansion_satisfied: float | None = None
    expansion_unsatisfied: float | None = None
    expansion_difference: float | None = None
    expansion_difference_ci: Interval | None = None


def churn_link(
    cur: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    *,
    survey: str | None = None,
    as_of: date | None = None,
) -> list[OutcomeLink]:
    """For each outcome of ``survey`` [the earliest wave: the longest time to churn since],
    the churn rate on ``as_of`` [today] of its unsatisfied accounts minus its satisfied ones,
    with a 95 % bootstrap interval; largest difference first."""
    names = [w.survey for w in waves(cur)]
    if not names:
        return []
    survey = survey or names[0]
    if survey not in names:
        raise JobsQueryError(f"no outcome survey is called {survey!r}")
    frame = answers(cur, survey=survey)
    facts = account_facts(cur, config, as_of or date.today()).set_index("account_id")
    answered = min(frame["answered_at"].max().date(), as_of or date.today())
    then = account_facts(cur, config, answered).set_index("account_id")["arr"]
    facts["arr_then"] = then.reindex(facts.index)
    per = frame.groupby(["outcome_id", "account_id"])["satisfaction"].mean().reset_index()
    per = per.join(facts, on="account_id")
    statements = dict(cur.execute("SELECT outcome_id, statement FROM outcomes").fetchall())
    rng = np.random.default_rng(0)
    more = np.random.default_rng(1)  # health and expansion: churn's draws stay as they were
    out = []
    for outcome, rows in per.groupby("outcome_id"):
        ok = rows["satisfaction"] >= TOP_BOX
        sat, unsat = rows[ok], rows[~ok]
        link = OutcomeLink(str(outcome), statements.get(outcome, str(outcome)), len(sat),
                           len(unsat), None, None, None, None, None, None)  # fmt: skip
        if len(sat) >= MIN_ACCOUNTS and len(unsat) >= MIN_ACCOUNTS:
            ps, pu = float(sat["churned"].mean()), float(unsat["churned"].mean())
            draws = rng.binomial(len(unsat), pu, LINK_DRAWS) / len(unsat) - rng.binomial(
                len(sat), ps, LINK_DRAWS
            ) / len(sat)
            low, high = np.quantile(draws, [0.025, 0.975])
            hs, hu = sat["health"].mean(), unsat["health"].mean()
            link = replace(
                link,
                churn_satisfied=ps,
                churn_unsatisfied=pu,
                churn_difference=pu - ps,
                churn_difference_ci=Interval(float(low), float(high)),
                health_difference=None if pd.isna(hs) or pd.isna(hu) else float(hu - hs),
                arr_unsatisfied=float(unsat.loc[~unsat["churned"], "arr"].fillna(0).sum()),
            )
            link = _with_expansion_and_health(link, sat, unsat, more)
        out.append(link)
    out.sort(key=lambda x: -(x.churn_difference if x.churn_difference is not None else -9))
    return out
