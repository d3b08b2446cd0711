-- The payer's adjustments (CARC/RARC) on the claim's 835 payments, newest remittance first.
SELECT r.id AS remittance_id, r.edi_file_id, r.payment_date, cp.status_code, cp.paid, cp.charge,
       a.group_code, a.reason_code, a.amount, a.remark_codes, lp.procedure_code
FROM billing.claim_payments cp
JOIN billing.remittances r ON r.id = cp.remittance_id
JOIN billing.adjustments a ON a.claim_payment_id = cp.id
LEFT JOIN billing.line_payments lp ON lp.id = a.line_payment_id
WHERE cp.claim_id = %(claim_id)s
ORDER BY r.posted_at DESC, cp.id DESC, a.position;
