-- Patient payments applied per visit, dated after `since` up to `until`.
SELECT pa.visit_id, sum(pa.amount) AS paid
  FROM billing.payment_applications pa
  JOIN billing.patient_payments pp ON pp.id = pa.payment_id
 WHERE pa.visit_id = ANY(%(visit_ids)s::int[]) AND pp.payment_date > %(since)s AND pp.payment_date <= %(until)s
 GROUP BY pa.visit_id
