"""Playbooks: rules over each account's data that open tasks, set fields and ask for touches.

Settings in ``[playbooks]`` (:mod:`outsidein.settings.playbooks`); trigger kinds in
:mod:`.triggers`; one run in :mod:`.engine`; the server's pipeline step in :mod:`.step`;
versions in :mod:`.versions`; firings read in :mod:`.firings`. docs/playbooks.md.
"""

from outsidein.playbooks.engine import RunResult, held_out, run_playbooks
from outsidein.playbooks.firings import Firing, FiringPage, list_firings, summaries
from outsidein.playbooks.step import PlaybookStep
from outsidein.playbooks.triggers import REGISTRY, TriggerContext, TriggerKind, register
from outsidein.playbooks.versions import sync_versions, versions_of

__all__ = [
    "REGISTRY",
    "Firing",
    "FiringPage",
    "PlaybookStep",
    "RunResult",
    "TriggerContext",
    "TriggerKind",
    "held_out",
    "list_firings",
    "register",
    "run_playbooks",
    "summaries",
    "sync_versions",
    "versions_of",
]
