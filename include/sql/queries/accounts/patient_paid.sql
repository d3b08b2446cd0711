-- Patient payments per visit (entries of type patient_payment are negative: they lower the balance).
SELECT c.visit_id, -sum(pl.amount) AS paid
  FROM billing.patient_ledger pl
  JOIN billing.claims c ON c.id = pl.claim_id
 WHERE pl.entry_type = 'patient_payment'
   AND (%(visit_ids)s::int[] IS NULL OR c.visit_id = ANY(%(visit_ids)s::int[]))
   AND pl.created_at < %(as_of)s
 GROUP BY c.visit_id
