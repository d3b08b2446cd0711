-- Patient A/R aging by statement date: each visit's open patient balance on as_of (what the
-- patient ledger says adjudication or self-pay left to the patient, less patient payments dated
-- up to as_of), aged from the first statement that billed the visit, in 30-day buckets.
-- Balances no statement has carried yet are 'not_billed'.
WITH owed AS (
    SELECT coalesce(pl.visit_id, c.visit_id) AS visit_id, sum(pl.amount) AS owed
      FROM billing.patient_ledger pl
      LEFT JOIN billing.claims c ON c.id = pl.claim_id
     WHERE pl.entry_type IN ('patient_responsibility', 'reversal')
     GROUP BY 1
), paid AS (
    SELECT pa.visit_id, sum(pa.amount) AS paid
      FROM billing.payment_applications pa
      JOIN billing.patient_payments pp ON pp.id = pa.payment_id
     WHERE pp.payment_date <= %(as_of)s
     GROUP BY pa.visit_id
), first_billed AS (
    SELECT sl.visit_id, min(s.statement_date) AS first_statement
      FROM billing.statement_lines sl
      JOIN billing.statements s ON s.id = sl.statement_id
     WHERE NOT sl.insurance_pending AND s.statement_date <= %(as_of)s
     GROUP BY sl.visit_id
), open_balances AS (
    SELECT o.visit_id, o.owed - coalesce(p.paid, 0) AS balance, fb.first_statement
      FROM owed o
      LEFT JOIN paid p ON p.visit_id = o.visit_id
      LEFT JOIN first_billed fb ON fb.visit_id = o.visit_id
     WHERE o.owed - coalesce(p.paid, 0) > 0
)
SELECT CASE WHEN first_statement IS NULL THEN 'not_billed'
            WHEN %(as_of)s::date - first_statement <= 30 THEN '0-30'
            WHEN %(as_of)s::date - first_statement <= 60 THEN '31-60'
            WHEN %(as_of)s::date - first_statement <= 90 THEN '61-90'
            WHEN %(as_of)s::date - first_statement <= 120 THEN '91-120'
            ELSE '120+' END AS bucket,
       count(*) AS visits,
       sum(balance)::numeric(12,2) AS balance
  FROM open_balances
 GROUP BY 1
