-- health.usage.active_users < 40 and coalesce(nps, 0) <= 6
(("health.usage.active_users" < CAST(? AS DOUBLE)) AND (coalesce("nps", CAST(? AS DOUBLE)) <= CAST(? AS DOUBLE)))
-- params: [40.0, 0.0, 6.0]
