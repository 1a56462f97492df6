-- renewal_date <= date '2026-12-31' + 90 and lifecycle_status != 'churned'
(("renewal_date" <= CAST(CAST(? AS DATE) + to_days(CAST(trunc(CAST(? AS DOUBLE)) AS INTEGER)) AS DATE)) AND ("lifecycle_status" != CAST(? AS VARCHAR)))
-- params: [datetime.date(2026, 12, 31), 90.0, 'churned']
