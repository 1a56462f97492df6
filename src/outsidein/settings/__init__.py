"""Every capability's settings model, in leaf modules that import only pydantic and the stdlib.

Capability packages (analytics, ingest, ...) import their settings from here, never the other
way, so that reading configuration (``outsidein.config``) loads no engine: no Ibis, no Spark,
no pandas. A test pins this (tests/test_import_leaf.py). Each module is one section:
``analytics`` is ``[analytics]`` of outsidein.toml, ``segment`` the ``OUTSIDEIN_SEGMENT_*``
environment. ``outsidein.config`` composes the sections into the whole file's model.
"""
