"""Data-quality checks: what the loaded sources left inconsistent (docs/quality.md)."""

from outsidein.quality.checks import CHECKS, CheckResult, run_checks, summary_line

__all__ = ["CHECKS", "CheckResult", "run_checks", "summary_line"]
