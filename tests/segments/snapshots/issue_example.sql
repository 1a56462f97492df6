-- segment = "enterprise" and health < 50 and days_to_renewal <= 90 and custom.plan_tier in ("Pro", "Business")
(((("segment" = CAST(? AS VARCHAR)) AND ("health" < CAST(? AS DOUBLE))) AND ("days_to_renewal" <= CAST(? AS DOUBLE))) AND ("custom.plan_tier" IN (CAST(? AS VARCHAR), CAST(? AS VARCHAR))))
-- params: ['enterprise', 50.0, 90.0, 'Pro', 'Business']
