-- Patient payments applied to visits, per guarantor and payment date (for statement totals).
SELECT pp.guarantor_key, pp.payment_date, sum(pa.amount) AS applied
  FROM billing.payment_applications pa
  JOIN billing.patient_payments pp ON pp.id = pa.payment_id
 WHERE pp.payment_date <= %(as_of)s
 GROUP BY pp.guarantor_key, pp.payment_date
