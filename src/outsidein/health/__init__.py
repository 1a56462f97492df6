"""Health scores: their inputs as they were on a day, their history, the pipeline step, backtests.

Import the modules themselves (``outsidein.health.inputs``, ``.history``, ``.step``,
``.backtest``); docs/health-data.md describes them.
"""
