-- A remittance's CAS adjustments (ledger.remittance.record_payments), after the payments they belong to.
COPY billing.adjustments (claim_payment_id, line_payment_id, position, group_code, reason_code, amount,
                          quantity, remark_codes)
FROM STDIN
