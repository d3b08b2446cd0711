-- Days in A/R at as_of = total A/R (payer_ar + patient_ar, as in outstanding_balances) ÷ average
-- daily charges over the 90 days ending on as_of (Σ total_charge of original primary claims —
-- responsibility P, frequency 1 — with date of service in [as_of − 89, as_of], ÷ 90).
-- Overall only: patient balances without a claim have no payer to divide by.
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
)
SELECT ar.payer_ar::numeric(14,2), pat.patient_ar::numeric(14,2),
       (ar.payer_ar + pat.patient_ar)::numeric(14,2) AS total_ar,
       charges.charges_90d::numeric(14,2),
       round(charges.charges_90d / 90, 2) AS average_daily_charges,
       round((ar.payer_ar + pat.patient_ar) / nullif(round(charges.charges_90d / 90, 2), 0), 1) AS days_in_ar
FROM ar, pat, charges;
