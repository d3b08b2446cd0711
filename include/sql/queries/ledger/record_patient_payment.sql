-- Post a patient payment; a second post of the same source and reference is a no-op.
INSERT INTO billing.patient_payments (source, reference, guarantor_key, visit_id, payment_date, amount, method,
                                      lockbox_file_id, lockbox_line, actor)
VALUES (%(source)s, %(reference)s, %(guarantor_key)s, %(visit_id)s, %(payment_date)s, %(amount)s, %(method)s,
        %(lockbox_file_id)s, %(lockbox_line)s, %(actor)s)
ON CONFLICT (source, reference) DO NOTHING
RETURNING id
