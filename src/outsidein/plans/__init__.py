"""Success plans: the outcomes agreed with each account, each measured from the data, with
progress, status and the value realised so far (docs/plans.md)."""

from outsidein.plans.progress import (
    FAR,
    RULE,
    STATUSES,
    TOLERANCE,
    AccountPlans,
    Progress,
    account_plans,
    off_track_counts,
    progress_of,
    status_counts,
    status_of,
    values_on,
)
from outsidein.plans.records import (
    MEASURE_KINDS,
    Milestone,
    Plan,
    PlanError,
    create_plan,
    delete_plan,
    get_plan,
    list_plans,
    update_plan,
)

__all__ = [
    "FAR",
    "MEASURE_KINDS",
    "RULE",
    "STATUSES",
    "TOLERANCE",
    "AccountPlans",
    "Milestone",
    "Plan",
    "PlanError",
    "Progress",
    "account_plans",
    "create_plan",
    "delete_plan",
    "get_plan",
    "list_plans",
    "off_track_counts",
    "progress_of",
    "status_counts",
    "status_of",
    "update_plan",
    "values_on",
]
