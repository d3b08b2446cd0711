SELECT pp.id, pp.source, pp.reference, pp.payment_date, pp.amount, pp.method,
       coalesce((SELECT sum(pa.amount) FROM billing.payment_applications pa WHERE pa.payment_id = pp.id), 0) AS applied
  FROM billing.patient_payments pp WHERE pp.guarantor_key = %(key)s ORDER BY pp.payment_date DESC, pp.id DESC
