-- A remittance's line payments (ledger.remittance.record_payments), after their claim payments.
COPY billing.line_payments (id, claim_payment_id, svc_index, claim_line_id, procedure_code, charge, paid,
                            allowed, units)
FROM STDIN
