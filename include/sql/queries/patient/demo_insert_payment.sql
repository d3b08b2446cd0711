INSERT INTO pm.patient_payments (reference, guarantor_id, patient_id, payment_date, amount, method)
VALUES (%(reference)s, %(guarantor_id)s, %(patient_id)s, %(payment_date)s, %(amount)s, %(method)s)
ON CONFLICT (reference) DO NOTHING
