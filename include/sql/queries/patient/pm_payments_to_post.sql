-- PM-recorded patient payments not yet posted, with the guarantor who paid: the named
-- guarantor, else the patient's guarantor, else the guarantor of the visit's patient.
SELECT pp.reference, coalesce(g.guarantor_number, pgp.guarantor_key, pgv.guarantor_key) AS guarantor_key,
       pp.visit_id, pp.payment_date, pp.amount, pp.method
  FROM pm.patient_payments pp
  LEFT JOIN pm.guarantors g ON g.id = pp.guarantor_id
  LEFT JOIN billing.patient_guarantors pgp ON pgp.patient_id = pp.patient_id
  LEFT JOIN pm.visits v ON v.id = pp.visit_id
  LEFT JOIN billing.patient_guarantors pgv ON pgv.patient_id = v.patient_id
 WHERE NOT EXISTS (SELECT 1 FROM billing.patient_payments bp
                    WHERE bp.source = 'pm' AND bp.reference = pp.reference)
 ORDER BY pp.payment_date, pp.id
