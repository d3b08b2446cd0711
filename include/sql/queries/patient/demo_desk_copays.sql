-- The demo's front desk: a 25.00 copay by card at each insured visit of the day (at most 20).
INSERT INTO pm.patient_payments (reference, patient_id, visit_id, payment_date, amount, method)
SELECT 'DESK-' || v.visit_number, v.patient_id, v.id, v.date_of_service, 25.00, 'card'
  FROM pm.visits v
 WHERE v.date_of_service = %(today)s AND v.status = 'completed'
   AND EXISTS (SELECT 1 FROM pm.insurance_policies ip JOIN pm.payers py ON py.id = ip.payer_id
                WHERE ip.patient_id = v.patient_id AND NOT py.is_self_pay)
 ORDER BY v.id
 LIMIT 20
ON CONFLICT (reference) DO NOTHING
