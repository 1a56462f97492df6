"""The account filters reports accept, with the values the data actually holds.

A filter value that matches nothing used to give a page of zeros that looked like a fact;
here it is refused with the values that would match. Matching ignores case and surrounding
spaces, as :meth:`Sources.restrict` does.
"""

from __future__ import annotations

from outsidein.analytics.backend import FILTERABLE, Sources
from outsidein.errors import InvalidRequestError

# How a filter is named to users (the API's and CLI's option names).
LABELS = {"segment": "segment", "region": "region", "industry": "industry", "csm_id": "csm"}
SHOWN = 12  # values listed in an error message before "and N more"


def filter_choices(sources: Sources) -> dict[str, list[str]]:
    """Each filterable column's distinct non-empty values, sorted case-insensitively."""
    accounts = sources.accounts
    choices: dict[str, list[str]] = {}
    for column in FILTERABLE:
        values = accounts.select(value=accounts[column]).distinct().to_pyarrow()
        found = [v for v in values["value"].to_pylist() if isinstance(v, str) and v.strip()]
        choices[column] = sorted(found, key=lambda v: (v.lower(), v))
    return choices


def check_filters(choices: dict[str, list[str]], **where: str | None) -> dict[str, str | None]:
    """``where`` with each value spelled as the data spells it; unknown values refused."""
    resolved: dict[str, str | None] = {}
    for column, value in where.items():
        if value is None or not value.strip():
            resolved[column] = None
            continue
        known = choices.get(column, [])
        match = [v for v in known if v.strip().lower() == value.strip().lower()]
        if not match:
            label = LABELS.get(column, column)
            listed = ", ".join(known[:SHOWN]) + (
                f" and {len(known) - SHOWN} more" if len(known) > SHOWN else ""
            )
            hint = f"the data has: {listed}" if known else "no account has one"
            raise InvalidRequestError(
                f"no account has {label} {value!r}; {hint}", field=label, value=value
            )
        resolved[column] = match[0]
    return resolved
