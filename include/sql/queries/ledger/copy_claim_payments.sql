-- A remittance's claim payments (ledger.remittance.record_payments); ids reserved with reserve_ids.
COPY billing.claim_payments (id, remittance_id, clp_index, claim_id, status_code, charge, paid,
                             patient_responsibility, payer_claim_control_number, is_reversal, reverses_payment_id)
FROM STDIN
