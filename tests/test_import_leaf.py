"""Reading configuration, or loading files, must not start an engine (issue 11, item 5).

``outsidein.config`` is a leaf: it and the settings models it composes import only pydantic
and the stdlib, so a command that reads settings does not pay for Ibis (which took 1.6 s).
Each check runs ``python -X importtime`` in a fresh interpreter, so modules other tests
already imported cannot hide a regression.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

ENGINES = ("ibis", "pyspark", "pandas")


def imported_modules(statement: str) -> set[str]:
    """Every module a fresh interpreter imports to run ``statement``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # Lines look like "import time:   self |   cumulative |   <indent>module.name".
    return {
        match[1]
        for line in done.stderr.splitlines()
        if (match := re.match(r"import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", line))
    }


@pytest.mark.parametrize(
    "module",
    [
        "outsidein.config",
        "outsidein.settings.analytics",
        "outsidein.settings.segment",
        "outsidein.settings.health",
        "outsidein.expr",
        "outsidein.ingest",
    ],
)
def test_settings_and_loading_import_no_engine(module: str) -> None:
    modules = imported_modules(f"import {module}")
    assert module in modules  # the measurement itself works
    engines = sorted(m for m in modules if m.split(".")[0] in ENGINES)
    assert not engines, f"`import {module}` loads {engines[:5]}"


def test_the_check_sees_an_engine_when_one_is_loaded() -> None:
    """The same measurement on the analytics package does find Ibis (the test can fail)."""
    assert "ibis" in imported_modules("import outsidein.analytics")
