"""Data-quality checks over the loaded store: what the sources left inconsistent.

Each check counts its findings, lists the first of them and says why they matter and what
fixes them (docs/quality.md). They read the store only, in plain SQL, and are cheap enough
to run after every load: the CLI prints their summary after ``outsidein load``, and
``outsidein quality``, ``GET /api/v1/quality`` and the Data quality page show them whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from outsidein.settings.sources import SourcesConfig

__all__ = ["CHECKS", "CheckResult", "run_checks", "summary_line"]

MAX_LISTED = 500
# An invoice may come up to this long after its subscription ended (the last period's bill),
# and a subscription's first invoice up to this long after it starts.
GRACE_DAYS = 31


@dataclass(frozen=True)
class Check:
    """One check: its name, what it finds, why that matters and what fixes it."""

    name: str
    title: str
    why: str
    fix: str
    sql: Callable[[SourcesConfig], str]  # the findings, one row each, in a stable order
    applies: str | None = None  # SQL that is true when the check has data to look at
    not_applicable: str = ""


@dataclass
class CheckResult:
    """A check's findings: how many, the first ``limit`` of them, and its explanation."""

    name: str
    title: str
    why: str
    fix: str
    count: int
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    checked: bool = True  # false when the store has nothing to check (no invoices loaded)
    note: str = ""


def _overlaps(cfg: SourcesConfig) -> str:
    fam_a, fam_b = cfg.family_sql("a.plan"), cfg.family_sql("b.plan")
    return f"""
        SELECT a.account_id, a.subscription_id AS older, a.plan AS older_plan,
               b.subscription_id AS newer, b.plan AS newer_plan, b.start_date AS overlap_from,
               a.mrr + b.mrr AS mrr_counted
        FROM subscriptions a JOIN subscriptions b
          ON a.account_id = b.account_id AND {fam_a} = {fam_b}
         AND (a.start_date < b.start_date
              OR (a.start_date = b.start_date AND a.subscription_id < b.subscription_id))
        WHERE (a.end_date IS NULL OR a.end_date > b.start_date)
          AND (b.end_date IS NULL OR b.end_date > b.start_date)
        ORDER BY a.account_id, b.start_date, a.subscription_id, b.subscription_id
    """


def _unknown_accounts(_: SourcesConfig) -> str:
    return """
        SELECT kind, "value" AS account_id, count(*) AS "rows", 'rejected' AS state, file
        FROM rejects
        WHERE kind IN ('events', 'usage_daily', 'cases') AND "column" = 'account_id'
          AND starts_with(reason, 'unknown account_id')
        GROUP BY kind, "value", file
        UNION ALL
        SELECT kind, account_id, "rows", 'stored', NULL FROM (
            SELECT 'events' AS kind, account_id, count(*) AS "rows" FROM events
            WHERE account_id NOT IN (SELECT account_id FROM accounts) GROUP BY account_id
            UNION ALL
            SELECT 'usage_daily', account_id, count(*) FROM usage_daily
            WHERE account_id NOT IN (SELECT account_id FROM accounts) GROUP BY account_id
            UNION ALL
            SELECT 'cases', account_id, count(*) FROM cases
            WHERE account_id NOT IN (SELECT account_id FROM accounts) GROUP BY account_id
        )
        ORDER BY "rows" DESC, kind, account_id, state, file
    """


def _subs_without_invoices(_: SourcesConfig) -> str:
    return f"""
        SELECT s.account_id, s.subscription_id, s.plan, s.mrr, s.start_date, s.end_date
        FROM subscriptions s
        WHERE s.mrr > 0 AND s.status <> 'trialing'
          AND s.start_date <= (SELECT max(issued_at)::DATE FROM invoices) - {GRACE_DAYS}
          AND coalesce(s.end_date, DATE '9999-12-31') > s.start_date
          AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.subscription_id = s.subscription_id)
          AND NOT EXISTS (
              SELECT 1 FROM invoices i WHERE i.account_id = s.account_id
                 AND i.issued_at::DATE >= s.start_date - {GRACE_DAYS}
                 AND (s.end_date IS NULL OR i.issued_at::DATE <= s.end_date + {GRACE_DAYS}))
        ORDER BY s.account_id, s.start_date, s.subscription_id
    """


def _invoices_without_subscription(_: SourcesConfig) -> str:
    return f"""
        SELECT i.account_id, i.invoice_id, i.amount, i.issued_at::DATE AS issued_on
        FROM invoices i
        WHERE i.subscription_id IS NULL AND NOT EXISTS (
            SELECT 1 FROM subscriptions s WHERE s.account_id = i.account_id
               AND s.start_date - {GRACE_DAYS} <= i.issued_at::DATE
               AND (s.end_date IS NULL OR i.issued_at::DATE <= s.end_date + {GRACE_DAYS}))
        ORDER BY i.account_id, i.issued_at, i.invoice_id
    """


def _no_owner(_: SourcesConfig) -> str:
    return """
        SELECT a.account_id, a.name, a.csm_id,
               CASE WHEN a.csm_id IS NULL THEN 'no csm_id' ELSE 'unknown csm_id' END AS problem
        FROM accounts a
        WHERE a.csm_id IS NULL
           OR ((SELECT count(*) FROM csms) > 0 AND a.csm_id NOT IN (SELECT csm_id FROM csms))
        ORDER BY a.account_id
    """


CHECKS: tuple[Check, ...] = (
    Check(
        "overlapping_subscriptions",
        "Overlapping subscriptions in one plan family",
        "Two subscriptions of one account and plan family run at the same time. An upgrade "
        "exported as a new row without ending the old one looks like this, and then MRR and "
        "seats count both plans.",
        "End the older row in the export; or set [sources] supersede_in_family = true (or load "
        "subscriptions with --supersede) so a newer subscription ends the older one at its "
        "start. Plans sold side by side (add-ons) belong in different [sources] plan_families.",
        _overlaps,
    ),
    Check(
        "unknown_accounts",
        "Usage or cases of unknown accounts",
        "Usage (events, usage counts) or cases name an account the store does not have: they "
        "count for no customer, so usage and support figures miss them.",
        "Load the accounts first and load the file again; if the ids are another system's, map "
        "them (ext:SYSTEM in the accounts file) or load with --id-system SYSTEM.",
        _unknown_accounts,
    ),
    Check(
        "subscriptions_without_invoices",
        "Paid subscriptions with no invoices",
        f"A paid subscription that started over {GRACE_DAYS} days before the latest invoice "
        "has no invoice naming it, nor any invoice of its account while it ran: revenue may be "
        "counted that was never billed, or the invoices are in another system.",
        "Check the subscription in billing; load the missing invoices, or end the subscription.",
        _subs_without_invoices,
        applies="SELECT count(*) > 0 FROM invoices",
        not_applicable="no invoices are loaded",
    ),
    Check(
        "invoices_without_subscription",
        "Invoices with no subscription",
        f"An invoice names no subscription, and its account had none running when it was "
        f"issued (within {GRACE_DAYS} days): billing that MRR does not see — a one-off charge, "
        "or a subscription missing from the export.",
        "Load the missing subscription; one-off charges (services) need nothing.",
        _invoices_without_subscription,
    ),
    Check(
        "accounts_without_owner",
        "Accounts with no owner",
        "An account has no CSM, or one the store does not know: it is in nobody's book, so "
        "no one is asked to act on its health or renewals.",
        "Set csm_id in the CRM export (and load the csms file), then load the accounts again.",
        _no_owner,
    ),
)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    sources: SourcesConfig | None = None,
    *,
    limit: int = 50,
    only: str | None = None,
) -> list[CheckResult]:
    """Every check (or ``only`` the one named) with its count and first ``limit`` findings."""
    cfg = sources or SourcesConfig()
    limit = max(0, min(limit, MAX_LISTED))
    chosen = [c for c in CHECKS if only is None or c.name == only]
    results = []
    for check in chosen:
        if check.applies is not None and not con.execute(check.applies).fetchall()[0][0]:
            results.append(
                CheckResult(
                    check.name,
                    check.title,
                    check.why,
                    check.fix,
                    0,
                    [],
                    checked=False,
                    note=f"not checked: {check.not_applicable}",
                )
            )
            continue
        sql = check.sql(cfg)
        (count,) = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0]
        cur = con.execute(f"{sql} LIMIT {limit}")
        columns = [d[0] for d in cur.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
        results.append(
            CheckResult(check.name, check.title, check.why, check.fix, int(count), columns, rows)
        )
    return results


def summary_line(results: list[CheckResult]) -> str:
    """One line for the end of a load: the checks with findings, or that there are none."""
    found = [r for r in results if r.count]
    if not found:
        return "data quality: no findings"
    parts = ", ".join(f"{r.count:,} {r.title.lower()}" for r in found)
    return f"data quality: {parts} (`outsidein quality` lists them)"
