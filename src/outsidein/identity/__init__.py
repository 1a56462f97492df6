"""One customer across systems: matching accounts by name or domain, and linking them.

Each source's ids for an account live in ``external_ids`` (``ext:SYSTEM``, docs/loading.md).
This package finds accounts that look the same (:mod:`outsidein.identity.match`) and links
them (:mod:`outsidein.identity.link`): the one merged into the other leaves its id as an
external id of the kept account, so every later file with that id lands on it.
"""

from outsidein.identity.link import Merge, link, reject, undo_merge, unlink_id
from outsidein.identity.match import Suggestion, normalise_domain, normalise_name, suggestions

__all__ = [
    "Merge",
    "Suggestion",
    "link",
    "normalise_domain",
    "normalise_name",
    "reject",
    "suggestions",
    "undo_merge",
    "unlink_id",
]
