"""Health: scorecards turned into scores that explain themselves.

``engine.score`` scores an inputs table (one row per account) with the configured scorecards;
``scoring`` turns one measure's raw values into points, ``rollup`` combines children into a
group's score, ``parents`` rolls children up into parent accounts, ``explain`` puts one
account's score into words. Settings live in :mod:`outsidein.settings.health`.
"""
