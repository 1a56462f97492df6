"""bench/bench_health.py runs, and its scorecard is what it says: 20 measures, 3 levels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "bench_health.py"


def test_bench_runs_small() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--accounts", "2000", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "2,000 accounts, 20 measures, 3 levels of groups" in done.stdout
    assert "40,000 contribution rows; 0 accounts unscored" in done.stdout
