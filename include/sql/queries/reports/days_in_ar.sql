-- Days in A/R at as_of, payer and patient apart and together (gross-charge method, as physician
-- practices measure it: MGMA "days in A/R"; HFMA's MAP Key divides net A/R by net revenue, which a
-- practice without a general ledger does not have - see docs/metrics.md):
--   payer_ar   = Σ payer_balance of billing.report_ar_claims (secondary claims valued at what the
--                primary left outstanding), patient_ar = Σ patient_ledger.amount before as_of
--   average daily charges = Σ total_charge of original primary claims (responsibility P,
--                frequency 1) with date of service in [as_of − 89, as_of], ÷ 90, rounded to cents
--   payer_days_in_ar = payer_ar ÷ average daily charges; patient_days_in_ar = patient_ar ÷ the same;
--   days_in_ar = total A/R ÷ the same. Each rounded to 0.1 day (so they need not add up exactly).
WITH ar AS (
    SELECT coalesce(sum(a.payer_balance), 0) AS payer_ar
    FROM billing.report_ar_claims(%(as_of_ts)s) a
),
pat AS (
    SELECT coalesce(sum(pl.amount), 0) AS patient_ar
    FROM billing.patient_ledger pl WHERE pl.created_at < %(as_of_ts)s
),
charges AS (
    SELECT coalesce(sum(c.total_charge), 0) AS charges_90d
    FROM billing.claims c
    WHERE c.responsibility = 'P' AND c.frequency_code = '1'
      AND c.date_of_service BETWEEN %(as_of)s::date - 89 AND %(as_of)s::date
),
avg AS (SELECT round(charges.charges_90d / 90, 2) AS average_daily_charges FROM charges)
SELECT ar.payer_ar::numeric(14,2), pat.patient_ar::numeric(14,2),
       (ar.payer_ar + pat.patient_ar)::numeric(14,2) AS total_ar,
       charges.charges_90d::numeric(14,2),
       avg.average_daily_charges,
       round((ar.payer_ar + pat.patient_ar) / nullif(avg.average_daily_charges, 0), 1) AS days_in_ar,
       round(ar.payer_ar / nullif(avg.average_daily_charges, 0), 1) AS payer_days_in_ar,
       round(pat.patient_ar / nullif(avg.average_daily_charges, 0), 1) AS patient_days_in_ar
FROM ar, pat, charges, avg;
