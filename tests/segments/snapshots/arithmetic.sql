-- seats_used / seats_bought < 0.5 and not (health_band in ('green'))
((("seats_used" / nullif("seats_bought", 0)) < CAST(? AS DOUBLE)) AND (NOT ("health_band" IN (CAST(? AS VARCHAR)))))
-- params: [0.5, 'green']
