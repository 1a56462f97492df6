"""Health: scorecards turned into scores that explain themselves, kept as history.

``engine.score`` scores an inputs table (one row per account) with the configured scorecards;
``scoring`` turns one measure's raw values into points, ``rollup`` combines children into a
group's score, ``parents`` rolls children up into parent accounts, ``explain`` puts one
account's score into words. ``inputs`` builds the inputs as they were on a day, ``history``
stores scores when they change, ``step`` is the pipeline step, ``backtest`` checks a
scorecard against what happened. Settings live in :mod:`outsidein.settings.health`;
docs/health.md and docs/health-data.md describe them.
"""
