-- days_since_last_activity >= 30 or active_users_28 is null
(("days_since_last_activity" >= CAST(? AS DOUBLE)) OR ("active_users_28" IS NULL))
-- params: [30.0]
