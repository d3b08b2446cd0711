COPY billing.patient_ledger (patient_id, claim_id, entry_type, category, amount, source_key)
FROM STDIN
