"""One customer across systems: matching accounts and contacts that look alike; linking them.

Each source's ids for an account live in ``external_ids`` (``ext:SYSTEM``, docs/loading.md).
This package finds accounts that look the same (:mod:`outsidein.identity.match`) and links
them (:mod:`outsidein.identity.link`): the one merged into the other leaves its id as an
external id of the kept account, so every later file with that id lands on it. Contacts
have the same pair (:mod:`~outsidein.identity.contact_match`,
:mod:`~outsidein.identity.contact_link`) over ``contact_external_ids``: the same email, or
the same name at one domain or in one account.
"""

from outsidein.identity.contact_link import (
    ContactMerge,
    link_contacts,
    reject_contacts,
    undo_contact_merge,
    unlink_contact_id,
)
from outsidein.identity.contact_match import ContactSuggestion, contact_suggestions
from outsidein.identity.link import Merge, link, reject, undo_merge, unlink_id
from outsidein.identity.match import Suggestion, normalise_domain, normalise_name, suggestions

__all__ = [
    "ContactMerge",
    "ContactSuggestion",
    "Merge",
    "Suggestion",
    "contact_suggestions",
    "link",
    "link_contacts",
    "normalise_domain",
    "normalise_name",
    "reject",
    "reject_contacts",
    "suggestions",
    "undo_contact_merge",
    "undo_merge",
    "unlink_contact_id",
    "unlink_id",
]
