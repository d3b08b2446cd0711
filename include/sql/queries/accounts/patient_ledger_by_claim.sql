-- What the patient ledger holds today from insurance adjudication, per claim and category
-- (the entries posting manages; patient payments are other entry types).
SELECT pl.claim_id, coalesce(pl.category, 'non_covered') AS category, sum(pl.amount) AS amount
  FROM billing.patient_ledger pl
 WHERE pl.claim_id = ANY(%(claim_ids)s)
   AND pl.entry_type IN ('patient_responsibility', 'reversal')
 GROUP BY pl.claim_id, coalesce(pl.category, 'non_covered')
