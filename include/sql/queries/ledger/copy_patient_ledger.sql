-- Patient-ledger deltas of an adjudication (ledger.remittance.record_patient_entries); source_key unique.
COPY billing.patient_ledger (patient_id, claim_id, entry_type, category, amount, source_key)
FROM STDIN
