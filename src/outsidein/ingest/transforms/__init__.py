"""Transforms of a load, as data: value maps, constants, one source to several targets,
coalesce, scaling, derivations, row filters, generated keys and line-item aggregation.

:func:`cli_spec` reads the ``outsidein load`` options, :func:`merge_specs` lays them over
``[load.<kind>]`` of outsidein.toml, :func:`compile_plan` checks the result against a file
and plans its SQL, and :func:`transformed` runs the plan over the file's parts.
"""

from outsidein.ingest.transforms.compile import CUSTOM_PREFIX, Plan, compile_plan
from outsidein.ingest.transforms.options import cli_spec, merge_specs
from outsidein.ingest.transforms.run import transformed

__all__ = ["CUSTOM_PREFIX", "Plan", "cli_spec", "compile_plan", "merge_specs", "transformed"]
