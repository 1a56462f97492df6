"""What the simulated vendor sells and what its customers try to get done.

Plans and prices, product features (the events), the jobs-to-be-done catalog with its
desired-outcome statements, and the needs areas that latent segments care about.
"""

from __future__ import annotations

import json

SEGMENTS = ("smb", "mid_market", "enterprise")

PLANS = ("starter", "growth", "enterprise")
PRICE_PER_SEAT = (12.0, 30.0, 55.0)  # USD per seat and month
CURRENCIES = ("USD", "EUR", "GBP")
FX = (1.0, 0.92, 0.79)  # list price in each currency per USD

TRIAL_DAYS = 14
TRIAL_SEATS = 5

# Contracts sold: (term in months, billing period). A term of 1 is month-to-month.
CONTRACT_KINDS: tuple[tuple[int, str], ...] = (
    (1, "monthly"),
    (12, "monthly"),
    (12, "quarterly"),
    (12, "annual"),
    (24, "annual"),
    (36, "annual"),
    (36, "multi_year"),  # the whole term invoiced up front
)
# Share of each contract kind by segment (smb, mid_market, enterprise): small customers mostly
# month-to-month, mid-market mostly annual, enterprise annual or multi-year.
CONTRACT_MIX = (
    (0.80, 0.08, 0.0, 0.12, 0.0, 0.0, 0.0),
    (0.12, 0.15, 0.20, 0.43, 0.10, 0.0, 0.0),
    (0.0, 0.0, 0.10, 0.40, 0.25, 0.15, 0.10),
)
BILLING_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}  # multi_year: the whole term

# feature events: name, share of activity once adopted, adoption delay in months (-1 = core)
FEATURES: tuple[tuple[str, float, float], ...] = (
    ("Login", 0.20, -1),
    ("Dashboard Viewed", 0.24, -1),
    ("Search Performed", 0.06, 0.5),
    ("Report Created", 0.10, 0.5),
    ("Report Shared", 0.06, 1.5),
    ("Export Run", 0.07, 1.0),
    ("Comment Added", 0.06, 2.0),
    ("Integration Connected", 0.01, 1.0),
    ("Data Source Synced", 0.08, 2.0),
    ("Workflow Automated", 0.05, 3.0),
    ("Alert Configured", 0.04, 3.0),
    ("User Invited", 0.03, 0.0),
)
FALLBACK_FEATURE = 1  # an event of a feature not adopted yet becomes a dashboard view

_OPTIONS: dict[str, tuple[dict[str, str], ...]] = {
    "Login": ({"method": "sso"}, {"method": "password"}, {"method": "google"}),
    "Dashboard Viewed": (
        {"dashboard": "Executive overview"},
        {"dashboard": "Pipeline"},
        {"dashboard": "Operations"},
        {"dashboard": "Team goals"},
    ),
    "Search Performed": ({"scope": "reports"}, {"scope": "dashboards"}, {"scope": "all"}),
    "Report Created": ({"template": "blank"}, {"template": "kpi"}, {"template": "weekly"}),
    "Report Shared": ({"via": "link"}, {"via": "email"}, {"via": "slack"}),
    "Export Run": ({"format": "csv"}, {"format": "xlsx"}, {"format": "pdf"}),
    "Comment Added": ({"on": "report"}, {"on": "dashboard"}),
    "Integration Connected": (
        {"integration": "salesforce"},
        {"integration": "hubspot"},
        {"integration": "snowflake"},
        {"integration": "slack"},
    ),
    "Data Source Synced": ({"source": "salesforce"}, {"source": "snowflake"}, {"source": "csv"}),
    "Workflow Automated": ({"trigger": "schedule"}, {"trigger": "threshold"}, {"trigger": "api"}),
    "Alert Configured": ({"channel": "email"}, {"channel": "slack"}),
    "User Invited": ({"role": "viewer"}, {"role": "editor"}),
}
PLATFORMS = ("web", "web", "web", "desktop", "mobile")  # weighted by repetition


def feature_properties() -> tuple[list[str], list[int], list[int]]:
    """All property JSON strings, and per feature the offset and count of its options.

    Events pick a property string by index into this one list, so the event writer never
    formats JSON per row.
    """
    strings: list[str] = []
    offsets: list[int] = []
    counts: list[int] = []
    for name, _, _ in FEATURES:
        offsets.append(len(strings))
        for option in _OPTIONS[name]:
            for platform in PLATFORMS[2:]:
                strings.append(
                    json.dumps(
                        {**option, "platform": platform}, sort_keys=True, separators=(",", ":")
                    )
                )
        counts.append(len(strings) - offsets[-1])
    return strings, offsets, counts


# The jobs customers hire the product for: job -> steps -> desired outcomes.
JOBS: tuple[tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "Report on business performance",
        "Give leadership a trusted, current view of how the business is doing.",
        (
            (
                "Define what to report",
                (
                    "Minimize the time it takes to agree which metrics matter",
                    "Minimize the likelihood of reporting a metric nobody acts on",
                ),
            ),
            (
                "Gather data from source systems",
                (
                    "Minimize the time it takes to gather data from all source systems",
                    "Minimize the number of manual copy-and-paste steps",
                    "Minimize the likelihood of working with outdated data",
                ),
            ),
            (
                "Build the report",
                (
                    "Minimize the time it takes to build a new report",
                    "Minimize the effort needed to change a report's layout",
                ),
            ),
            (
                "Check the figures",
                (
                    "Minimize the likelihood that a report contains wrong figures",
                    "Minimize the time it takes to trace a figure back to its source",
                ),
            ),
            (
                "Share results with stakeholders",
                (
                    "Minimize the time it takes to get the report to every stakeholder",
                    "Increase the likelihood that stakeholders understand the results",
                    "Minimize the effort to answer follow-up questions",
                ),
            ),
        ),
    ),
    (
        "Automate recurring operational work",
        "Take repetitive hand-work out of day-to-day operations.",
        (
            (
                "Identify repetitive work",
                ("Minimize the time it takes to find tasks that are worth automating",),
            ),
            (
                "Design the workflow",
                (
                    "Minimize the effort to describe a workflow without engineering help",
                    "Minimize the likelihood of missing an exception case",
                ),
            ),
            (
                "Connect the systems involved",
                (
                    "Minimize the time it takes to connect a new system",
                    "Minimize the likelihood that a connection breaks unnoticed",
                ),
            ),
            (
                "Run and monitor the workflow",
                (
                    "Minimize the time it takes to notice a failed run",
                    "Minimize the number of runs that need manual intervention",
                ),
            ),
            (
                "Fix failures",
                (
                    "Minimize the time it takes to find the cause of a failure",
                    "Minimize the likelihood that a fix breaks another workflow",
                ),
            ),
        ),
    ),
    (
        "Keep the team aligned on priorities",
        "Make sure everyone works on what matters most and sees progress.",
        (
            ("Set goals", ("Minimize the time it takes to agree on team goals",)),
            (
                "Track progress",
                (
                    "Minimize the effort to see progress against each goal",
                    "Minimize the likelihood that progress is reported late",
                ),
            ),
            (
                "Spot problems early",
                (
                    "Minimize the time it takes to notice a goal is at risk",
                    "Increase the likelihood that the right person is alerted",
                ),
            ),
            (
                "Agree on actions",
                (
                    "Minimize the time it takes to agree on corrective actions",
                    "Minimize the number of meetings needed to decide",
                ),
            ),
            (
                "Review results",
                (
                    "Minimize the effort to review what worked last quarter",
                    "Increase the likelihood that lessons are applied next time",
                ),
            ),
        ),
    ),
)

# Needs areas: what a latent needs segment cares about, as (job index, step index) pairs.
NEEDS_AREAS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("Speed to insight", ((0, 1), (0, 2), (0, 4))),
    ("Trust in the numbers", ((0, 3), (0, 1), (1, 4))),
    ("Automation at scale", ((1, 1), (1, 3), (1, 4))),
    ("Connected systems", ((1, 2), (0, 1), (1, 0))),
    ("Team alignment", ((2, 1), (2, 2), (2, 3))),
)

CASE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "support": ("Cannot log in", "Dashboard loads slowly", "How do I share a report?"),
    "product": ("Export fails for large reports", "Sync stopped overnight", "Feature request"),
    "billing": ("Invoice does not match seats", "Update payment method", "Refund request"),
    "success": ("Help planning the rollout", "Adoption is lower than expected"),
}

NPS_COMMENTS: dict[str, tuple[str, ...]] = {
    "detractor": (
        "Support takes too long to answer.",
        "Connecting our data sources is still painful.",
        "Reports break whenever our data changes.",
        "Too expensive for what we use.",
        "We lost the person who set this up and nobody knows how it works.",
    ),
    "passive": (
        "Does the job, but the setup was slow.",
        "Good product, a few features are missing.",
        "Fine for reporting, less so for automation.",
    ),
    "promoter": (
        "Saves our team hours every week.",
        "Leadership finally trusts the numbers.",
        "The automations run themselves.",
        "Great support and a product that keeps improving.",
    ),
}


def flat_outcomes() -> list[tuple[int, int, str]]:
    """Every desired outcome as (job index, step index, statement), in catalog order."""
    return [
        (j, s, statement)
        for j, (_, _, steps) in enumerate(JOBS)
        for s, (_, statements) in enumerate(steps)
        for statement in statements
    ]
