-- Apply part of a payment to one visit: a negative patient_payment ledger entry (on the claim
-- that set what the patient owes, or on the visit alone for self-pay) and its application row.
WITH entry AS (
    INSERT INTO billing.patient_ledger (patient_id, claim_id, visit_id, entry_type, category, amount, source_key)
    VALUES (%(patient_id)s, %(claim_id)s, %(visit_id)s, 'patient_payment', NULL, -%(amount)s::numeric,
            'ppay:' || %(payment_id)s || ':' || %(visit_id)s)
    ON CONFLICT (source_key) DO NOTHING
    RETURNING id
)
INSERT INTO billing.payment_applications (payment_id, visit_id, claim_id, amount, ledger_entry_id)
SELECT %(payment_id)s, %(visit_id)s, %(claim_id)s, %(amount)s, entry.id FROM entry
ON CONFLICT (payment_id, visit_id) DO NOTHING
