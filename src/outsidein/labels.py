"""Words people read for the raw values the data and the API keep: ``mid_market`` is
"Mid-market", ``smb`` "SMB", ``churned`` "Churned".

One place for the pages and the terminal. Stored values, API answers and files written with
``--out`` stay raw; only what a person reads goes through :func:`label`. Segments come from
the customer's data, so a value not listed here is shown as written when it has capitals
("EMEA", "Key Accounts"), or with spaces for underscores and a capital first letter when it
is a lower-case code ("key_accounts" is "Key accounts"). A leaf module: the stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SEGMENT_LABELS = {"smb": "SMB", "mid_market": "Mid-market", "enterprise": "Enterprise"}
STATUS_LABELS = {
    "prospect": "Prospect",
    "trial": "Trial",
    "onboarding": "Onboarding",
    "active": "Active",
    "renewal": "Renewal",
    "churned": "Churned",
}
# Codes whose usual capitalisation is not the rule's (survey kinds, channels).
OTHER_LABELS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "qbr": "QBR",
    "in_app_guide": "In-app guide",
}
# A code that means something else by what it describes: as a touchpoint's outcome
# "success" is "Success", as the function that owns it "Customer success".
KIND_LABELS: dict[str, dict[str, str]] = {
    "function": {"success": "Customer success"},
}
_LABELS = {**SEGMENT_LABELS, **STATUS_LABELS, **OTHER_LABELS}


def _key(value: str) -> str:
    """``Mid-Market``, ``mid market`` and ``mid_market`` are one value."""
    return re.sub(r"[\s_-]+", "_", value.strip().lower())


def label(value: str | None, kind: str | None = None) -> str:
    """The words for ``value``; empty for a missing one (the page shows its own dash).

    ``kind`` names what the value describes where that changes the words (``function``)."""
    if value is None or not value.strip():
        return ""
    known = KIND_LABELS.get(kind or "", {}).get(_key(value)) or _LABELS.get(_key(value))
    if known is not None:
        return known
    if value != value.lower():
        return value
    words = " ".join(value.replace("_", " ").split())
    return words[:1].upper() + words[1:]


def known_labels(kind: str | None = None) -> dict[str, str]:
    """The listed words by code (lower case), as :func:`label` reads them for ``kind``: for
    code that says the same in another language (SQL, :mod:`outsidein.timeline.builtin`)."""
    return {**_LABELS, **KIND_LABELS.get(kind or "", {})}


def matching(text: str, values: Iterable[str]) -> list[str]:
    """The ``values`` whose label contains ``text`` (any case), or whose spelling does with
    spaces, dashes and underscores alike: "mid market" and "mid_market" find "Mid-Market"."""
    wanted = text.strip().lower()
    if not wanted:
        return []
    return [v for v in values if wanted in label(v).lower() or _key(wanted) in _key(v)]
