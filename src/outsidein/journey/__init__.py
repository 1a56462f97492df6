"""The customer journey: event logs, process discovery, and where journeys break.

Discovery (directly-follows graph, times between steps, variants) runs on NumPy over an
:class:`EventLog` built from our touchpoints, a frame, or an XES file.
"""

from outsidein.journey.discover import (
    Dfg,
    PerformanceDfg,
    Variant,
    dfg,
    performance_dfg,
    variants,
)
from outsidein.journey.errors import EventLogError
from outsidein.journey.eventlog import EventLog, from_arrays, from_frame
from outsidein.journey.xes import read_xes

__all__ = [
    "Dfg",
    "EventLog",
    "EventLogError",
    "PerformanceDfg",
    "Variant",
    "dfg",
    "from_arrays",
    "from_frame",
    "performance_dfg",
    "read_xes",
    "variants",
]
