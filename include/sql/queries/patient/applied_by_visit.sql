-- Patient payments applied per visit, counting payments dated on or before as_of.
SELECT pa.visit_id, sum(pa.amount) AS applied
  FROM billing.payment_applications pa
  JOIN billing.patient_payments pp ON pp.id = pa.payment_id
 WHERE pa.visit_id = ANY(%(visit_ids)s::int[])
   AND pp.payment_date <= %(as_of)s
 GROUP BY pa.visit_id
